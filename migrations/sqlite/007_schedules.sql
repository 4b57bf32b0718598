-- 007_schedules.sql: persisted schedules (broker.schedule(name, { cron | everyMs, channel, args })).
--
-- One row per schedule name. The definition (cron with its IANA zone tz, or every_ms; channel; the
-- encoded payload and priority of the message each slot publishes) is written by broker.schedule()
-- and read by every process open on the file; the store never parses cron: the layers above
-- compute the slots (croner) and hand it epoch ms. next_run_at is the next slot, and it is also
-- what makes a slot fire exactly once across processes: firing moves it on with a compare-and-set
-- (UPDATE ... WHERE next_run_at = <the slot seen>) in the same transaction as the publish of the
-- slot's message (src/store/sqlite/schedules.ts), so a process that lost the race commits
-- nothing. A schedule names its channel but does not own it: a channel is never deleted with it.
CREATE TABLE durable_ipc_schedules (
  name        TEXT PRIMARY KEY NOT NULL,
  cron        TEXT,
  every_ms    INTEGER CHECK (every_ms IS NULL OR every_ms >= 1),
  tz          TEXT,
  channel     TEXT NOT NULL,
  payload     BLOB NOT NULL,
  priority    INTEGER NOT NULL DEFAULT 0,
  next_run_at INTEGER NOT NULL,
  last_run_at INTEGER,
  -- Exactly one of cron and every_ms; a zone only with cron.
  CHECK ((cron IS NULL) <> (every_ms IS NULL)),
  CHECK (tz IS NULL OR cron IS NOT NULL)
);
