-- 008_node.sql: the identity of this file as a node of a PostgreSQL store (createBroker({ path,
-- postgres })): one row, written once, when the file first forwards to PostgreSQL.
--
-- node_id is the origin of every message the file forwards (with the message's local id: the origin
-- key, migrations/postgres/002_forwarding.sql), so a node restarted on the same file goes on with
-- its own keys and a batch it forwards again after a crash is recognised. id_base is where the ids
-- of its sends start (the high-water mark is raised to it): a range no other node and no id of
-- PostgreSQL's own sequence uses. A file never used with PostgreSQL has no row.
CREATE TABLE durable_ipc_node (
  node_id    TEXT NOT NULL,
  schema_key TEXT NOT NULL,
  id_base    INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);
