-- 004_attempts_when_started.sql: an attempt is counted when a delivery starts, not when it is claimed.
--
-- Until 003 a claim counted an attempt for every message it leased, including the ones claimed
-- ahead that were still waiting their turn: a crash charged attempts to deliveries that never
-- started. Now `attempts` counts the attempts that started, and `started` says whether the
-- current lease's attempt is among them (1) or not yet recorded (0). A consumer records starts in
-- the transactions it runs anyway (the claim, the acknowledgements), before or soon after the
-- receiver is called (src/actors/consumerWork.ts).
--
-- `careful` marks a message whose lease ended without an outcome and without a recorded start: it
-- was claimed by a consumer that died (or lost its lease), and may be the very message that took
-- the process down. From then on each of its deliveries records its start before the receiver is
-- called, so a message that keeps killing the process uses up its attempts and reaches the dead
-- letters instead of being retried forever.
--
-- Dead letters keep the message's idempotency key, so that a replay (which keeps the message's
-- id) gives back the message as it was.

ALTER TABLE durable_ipc_messages ADD COLUMN started INTEGER NOT NULL DEFAULT 0;
ALTER TABLE durable_ipc_messages ADD COLUMN careful INTEGER NOT NULL DEFAULT 0;
ALTER TABLE durable_ipc_dead_letters ADD COLUMN key TEXT;

-- Leases taken under 003 had their attempt counted by the claim.
UPDATE durable_ipc_messages SET started = 1 WHERE lease_owner IS NOT NULL;
