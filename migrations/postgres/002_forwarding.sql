-- 002_forwarding.sql: store and forward (createBroker({ path, postgres })): the nodes whose local
-- SQLite outboxes forward here, and the origin key of every message they forwarded.
--
-- A node is one SQLite file. Its number, given here once (when the file first meets this schema),
-- places the ids its sends return in a range of their own (src/store/forwarding/nodeIdentity.ts),
-- so that a send's id names one job on every node.

CREATE TABLE durable_ipc_nodes (
  number     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  node_id    text NOT NULL UNIQUE,
  created_at bigint NOT NULL
);

-- One row per message a node forwarded: (origin_node, origin_id) is the node and the id its send
-- returned. The forwarder inserts the row before the message, ON CONFLICT DO NOTHING, in the
-- transaction that stores the message: a batch forwarded again (the node crashed between this
-- commit and its local delete) finds its rows here and stores nothing twice. message_id is the
-- message's id here (its job id in this schema), so that any node resolves a send's id to it.
-- The rows outlive the messages (an acknowledged message leaves its origin behind): that is what
-- makes a second forward of it a no-op.
CREATE TABLE durable_ipc_origins (
  origin_node  text NOT NULL,
  origin_id    bigint NOT NULL,
  message_id   bigint,
  forwarded_at bigint NOT NULL,
  PRIMARY KEY (origin_node, origin_id)
);
CREATE INDEX durable_ipc_origins_origin_id ON durable_ipc_origins (origin_id);
