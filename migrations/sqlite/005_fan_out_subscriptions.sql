-- 005_fan_out_subscriptions.sql: which subscriptions a publish without one reaches is data, not a name.
--
-- Until 004 a publish without a subscription went to every subscription of its channel whose name
-- did not start with `renderer:`, the api layer's name for a renderer's durable inbox: the store's
-- SQL knew a naming convention of the layers above it, and a second backend would have had to
-- know it too. Now each subscription says it: fan_out = 1 receives the channel's publishes without
-- a subscription (`main`), fan_out = 0 only the messages published to it by name (an inbox).
-- Whoever creates a subscription decides (src/store/types.ts: ensureSubscription's fanOut,
-- PublishInput.fanOut).

ALTER TABLE durable_ipc_subscriptions ADD COLUMN fan_out INTEGER NOT NULL DEFAULT 1 CHECK (fan_out IN (0, 1));

-- The one place the old name pattern may still appear: rows made until 004 say nothing of their
-- own, and their name is what decided then. GLOB, case-sensitive, exactly as 004's query had it.
UPDATE durable_ipc_subscriptions SET fan_out = 0 WHERE name GLOB 'renderer:*';
