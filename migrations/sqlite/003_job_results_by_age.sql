-- 003_job_results_by_age.sql: job results are kept for jobResultRetentionMs (default 7 days), then
-- deleted oldest first, a batch at a time; this index finds the oldest without a scan.
CREATE INDEX durable_ipc_job_results_completed ON durable_ipc_job_results (completed_at);
