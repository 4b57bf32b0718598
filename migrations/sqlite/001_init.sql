-- 001_init.sql: the first durable-ipc schema: channels, subscriptions, the message queue, dead letters, job results.
--
-- Every name starts with durable_ipc_ because the outbox runs this file inside the application's own
-- database, which may well have a `messages` or `channels` table of its own. For the same reason the
-- schema version lives in durable_ipc_migrations, not in PRAGMA user_version: that pragma belongs to
-- the application, whose own migration tool probably uses it.
--
-- No foreign keys: an application's handle may run with foreign_keys=OFF, and the store must behave
-- the same either way, so it deletes dependent rows itself.

-- One row per applied migration; MAX(version) is the schema version. Written by src/store/migrate.ts.
CREATE TABLE durable_ipc_migrations (
  version    INTEGER PRIMARY KEY,
  name       TEXT NOT NULL,
  applied_at INTEGER NOT NULL
);

-- A declared durable channel; config is the JSON of ChannelConfig (src/store/types.ts).
CREATE TABLE durable_ipc_channels (
  name       TEXT PRIMARY KEY NOT NULL,
  config     TEXT NOT NULL,
  created_at INTEGER NOT NULL
);

-- `main` plus one `renderer:<id>` inbox per renderer that has one. A publish without a subscription
-- fans out to every subscription whose name does not start with `renderer:`.
CREATE TABLE durable_ipc_subscriptions (
  channel    TEXT NOT NULL,
  name       TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (channel, name)
) WITHOUT ROWID;

-- The queue: one row per message per subscription, deleted on ack.
-- A leased (in flight) row has lease_owner set and visible_at = its lease expiry, so a lease that
-- expires makes the row claimable again with no sweeper. queued_at keeps the visible_at it had
-- before the lease, its place in line: releasing the lease (shutdown, dead owner) restores it, so
-- a redelivered message still comes before the ones queued behind it. Ids are given by the store
-- (src/store/statements.ts): one more than the highest id among messages, dead letters, job
-- results and durable_ipc_high_water (the highest id ever acknowledged or purged), so no id is
-- ever used twice: consumers may deduplicate by it. That costs four look-ups of a last entry;
-- AUTOINCREMENT would cost a write to sqlite_sequence in every publish (measured: about 30% of a
-- publish), where the high-water mark is written once per batch of acknowledgements.
CREATE TABLE durable_ipc_messages (
  id           INTEGER PRIMARY KEY,
  channel      TEXT NOT NULL,
  subscription TEXT NOT NULL,
  kind         TEXT NOT NULL CHECK (kind IN ('message', 'invoke')),
  payload      BLOB NOT NULL,
  key          TEXT,
  created_at   INTEGER NOT NULL,
  visible_at   INTEGER NOT NULL,
  queued_at    INTEGER,
  attempts     INTEGER NOT NULL DEFAULT 0,
  lease_owner  TEXT,
  last_error   TEXT
);

-- Drives claim, nextVisibleAt and the maxDepth count. The rowid (id) is implicitly the index's last
-- column, so ORDER BY visible_at, id is served by the index with no sort.
CREATE INDEX durable_ipc_messages_claim
  ON durable_ipc_messages (channel, subscription, visible_at);

-- Idempotency: at most one pending message per key and subscription.
CREATE UNIQUE INDEX durable_ipc_messages_key
  ON durable_ipc_messages (channel, subscription, key) WHERE key IS NOT NULL;

-- Release by owner and the dead-owner sweep; partial, so it only holds the (few) in-flight rows.
CREATE INDEX durable_ipc_messages_lease
  ON durable_ipc_messages (lease_owner) WHERE lease_owner IS NOT NULL;

-- Messages that used up their attempts; id is the message's id.
CREATE TABLE durable_ipc_dead_letters (
  id           INTEGER PRIMARY KEY,
  channel      TEXT NOT NULL,
  subscription TEXT NOT NULL,
  kind         TEXT NOT NULL,
  payload      BLOB NOT NULL,
  attempts     INTEGER NOT NULL,
  last_error   TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  failed_at    INTEGER NOT NULL
);

CREATE INDEX durable_ipc_dead_letters_channel
  ON durable_ipc_dead_letters (channel, id);

-- The settled outcome of an invoke job, keyed by the request message's id.
CREATE TABLE durable_ipc_job_results (
  id           INTEGER PRIMARY KEY,
  ok           INTEGER NOT NULL,
  payload      BLOB NOT NULL,
  completed_at INTEGER NOT NULL
);

-- One row: the highest message id that was deleted without leaving a row behind (acknowledged, or
-- a purged dead letter). New ids stay above it. See durable_ipc_messages.
CREATE TABLE durable_ipc_high_water (
  id INTEGER NOT NULL
);
INSERT INTO durable_ipc_high_water (id) VALUES (0);
