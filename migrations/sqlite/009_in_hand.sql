-- 009_in_hand.sql: a message taken by its consumer as it is published (Store.publishClaimed, the
-- trickle path) is stored "in hand": in a table of its own, outside the queue's indexes.
--
-- In 008 such a message went into durable_ipc_messages leased, so its commit wrote three B-tree
-- pages (the table, the claim index, the lease index) and its acknowledgement, riding on the next
-- publish, deleted it from all three again. In hand, the publish and the acknowledgement of the
-- one before it touch one page: the last leaf of this small table (measured in isolation: about
-- 35 -> 18 µs a commit, against 15 µs for a bare insert).
--
-- A row in hand is leased to lease_owner until lease_until and not started; it has no key (keyed
-- messages, and channels with a maxDepth, are leased in durable_ipc_messages as before) and no
-- attempts, error or progress yet. It stays in hand only until its owner's next transaction:
-- acknowledged, it is deleted here; anything else (its start recorded while it still runs, a
-- failure, progress, a renewal of a delivery still waiting, cancel, a hand-back, the owner's
-- release or death, an expired lease) first moves it into durable_ipc_messages as the leased
-- row 008 would have stored, and the queue's rules take it from there (src/store/sqlite/inHand.ts).
-- The table stays a handful of rows, so the reads that must see it (ids, stats, jobs, tail) scan
-- it whole.
CREATE TABLE durable_ipc_in_hand (
  id           INTEGER PRIMARY KEY,
  channel      TEXT NOT NULL,
  subscription TEXT NOT NULL,
  kind         TEXT NOT NULL CHECK (kind IN ('message', 'invoke')),
  payload      BLOB NOT NULL,
  created_at   INTEGER NOT NULL,
  visible_at   INTEGER NOT NULL,
  priority     INTEGER NOT NULL DEFAULT 0,
  lease_owner  TEXT NOT NULL,
  lease_until  INTEGER NOT NULL
);
