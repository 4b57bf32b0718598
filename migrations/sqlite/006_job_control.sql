-- 006_job_control.sql: the job queue's control plane: priorities, progress, job state after the
-- end, pause and rate limits.
--
-- Priorities: a higher priority is claimed first, FIFO (visible_at, id) within one. The claim index
-- leads with the priority (descending), so a claim seeks each priority's ready rows in turn
-- (src/store/sqlite/leases.ts): a million delayed jobs at a high priority cost one index seek,
-- not a scan, in front of the ready ones at a lower priority.
ALTER TABLE durable_ipc_messages ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;
DROP INDEX durable_ipc_messages_claim;
CREATE INDEX durable_ipc_messages_claim
  ON durable_ipc_messages (channel, subscription, priority DESC, visible_at);

-- The latest progress() value of a running job (serialized), kept until the job ends.
ALTER TABLE durable_ipc_messages ADD COLUMN progress BLOB;

-- A dead letter keeps the job as it was: its priority and last progress.
ALTER TABLE durable_ipc_dead_letters ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;
ALTER TABLE durable_ipc_dead_letters ADD COLUMN progress BLOB;

-- Job outcomes say what they are and whose they were, for broker.job(id) and broker.jobs():
-- state 'completed' (a handler's value), 'failed' (a handler job's final failure, kept while and
-- after it is a dead letter) or 'cancelled' (broker.cancel(), any job). Rows written before 006
-- know no channel: they read as their job's outcome (jobResult) and list under no channel.
ALTER TABLE durable_ipc_job_results ADD COLUMN state TEXT NOT NULL DEFAULT 'completed'
  CHECK (state IN ('completed', 'failed', 'cancelled'));
UPDATE durable_ipc_job_results SET state = 'failed' WHERE ok = 0;
ALTER TABLE durable_ipc_job_results ADD COLUMN channel TEXT;
ALTER TABLE durable_ipc_job_results ADD COLUMN subscription TEXT;
ALTER TABLE durable_ipc_job_results ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE durable_ipc_job_results ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;
ALTER TABLE durable_ipc_job_results ADD COLUMN created_at INTEGER;
ALTER TABLE durable_ipc_job_results ADD COLUMN run_at INTEGER;
ALTER TABLE durable_ipc_job_results ADD COLUMN last_error TEXT;
CREATE INDEX durable_ipc_job_results_channel ON durable_ipc_job_results (channel, id);

-- Pause: persisted per channel, read by every claim (one primary-key look-up), so that every
-- process on the file stops starting deliveries of a paused channel. broker.channel() rewrites
-- config and leaves this alone.
ALTER TABLE durable_ipc_channels ADD COLUMN paused INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1));

-- Rate limits: one row per delivery started on a rate-limited channel within the last intervalMs
-- (a sliding window log, shared by every process). A claim deletes the rows that left the window,
-- counts the rest and starts at most max minus that many.
CREATE TABLE durable_ipc_rate_starts (
  channel    TEXT NOT NULL,
  started_at INTEGER NOT NULL
);
CREATE INDEX durable_ipc_rate_starts_channel ON durable_ipc_rate_starts (channel, started_at);
