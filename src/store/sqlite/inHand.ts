// Messages in hand (migrations/sqlite/009_in_hand.sql): taken by their consumer as they were
// published, kept outside the queue's indexes until the owner's next transaction. An
// acknowledgement deletes one here; everything else that touches it first moves it into the queue
// as the leased, unstarted row it stands for ("demotes" it), so the queue's rules need to know
// nothing of this table. The reads that must see it (ids, stats, jobs, tail) read it beside the
// queue: it holds a handful of rows, so each of its statements is a scan of a page or two.

import type Database from 'better-sqlite3'
import type { MessageKind, Payload } from '../types.js'
import type { MessageCountsRow } from './readStatements.js'
import { preparers } from './sqlFragments.js'

// What a demotion writes: the row as publish would have leased it in the queue (no key, attempt
// not started, not careful); the queue's defaults fill in the rest.
const queueColumns = 'id, channel, subscription, kind, payload, created_at, visible_at, priority, lease_owner, lease_until'
const demote = (where: string) => ({
  copy: `INSERT INTO durable_ipc_messages (${queueColumns}) SELECT ${queueColumns} FROM durable_ipc_in_hand WHERE ${where}`,
  remove: `DELETE FROM durable_ipc_in_hand WHERE ${where}`,
})
const byIds = 'id IN (SELECT value FROM json_each(@ids)) AND lease_owner = @owner'
const ofOwner = 'lease_owner = @owner AND (@subscription IS NULL OR subscription = @subscription)'
const expiredOfOthers = 'channel = @channel AND subscription = @subscription AND lease_owner <> @owner AND lease_until <= @now'

const sql = {
  // The hot pair of the trickle path, with positional parameters (named ones cost a property
  // look-up each, in the driver): a publish taken in hand, its id as insertMessage takes it
  // (statements.ts: nextId, which reads this table too), and the acknowledgement of one.
  insertAt: (nextId: string) => `INSERT INTO durable_ipc_in_hand (id, channel, subscription, kind, payload, created_at, visible_at, priority, lease_owner, lease_until)
    VALUES (${nextId} + 1, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  deleteOne: 'DELETE FROM durable_ipc_in_hand WHERE id = ? AND lease_owner = ?',
  deleteMany: `DELETE FROM durable_ipc_in_hand WHERE ${byIds}`,
  renew: `UPDATE durable_ipc_in_hand SET lease_until = @leaseUntil WHERE ${byIds} RETURNING id`,
  owners: 'SELECT DISTINCT lease_owner FROM durable_ipc_in_hand',
  anyExpired: `SELECT 1 FROM durable_ipc_in_hand WHERE ${expiredOfOthers} LIMIT 1`,
  nextLeaseEnd: `SELECT MIN(MAX(visible_at, lease_until)) FROM durable_ipc_in_hand
    WHERE channel = @channel AND subscription = @subscription AND lease_owner <> @owner`,
  demoteByIds: demote(byIds),
  demoteById: demote('id = @id'),
  demoteOwner: demote(ofOwner),
  demoteExpired: demote(expiredOfOthers),
  // For stats: a lease that ran out counts as ready or delayed, as in the queue (readStatements.ts).
  counts: `SELECT channel, subscription, SUM(lease_until > @now) AS inFlight,
      SUM(lease_until <= @now AND visible_at <= @now) AS ready, SUM(lease_until <= @now AND visible_at > @now) AS delayed,
      MIN(CASE WHEN lease_until <= @now THEN created_at END) AS oldestCreatedAt
    FROM durable_ipc_in_hand GROUP BY channel, subscription`,
} as const

type Ids = { ids: string; owner: string }
type Expired = { channel: string; subscription: string; owner: string; now: number }
type Demotion<P> = { copy: { run(p: P): Database.RunResult }; remove: { run(p: P): Database.RunResult } }

/**
 * Prepares the statements of messages in hand; part of prepareStatements (statements.ts), which
 * passes its next-id expression.
 *
 * @example
 * prepareInHandStatements(db, nextId).inHandOwners.all()
 */
export function prepareInHandStatements(db: Database.Database, nextId: string) {
  const { command, pluck, query, barePluck, positional } = preparers(db)
  const demotion = <P extends Record<string, unknown>>(d: { copy: string; remove: string }): Demotion<P> => ({ copy: command<P>(d.copy), remove: command<P>(d.remove) })
  return {
    inHandInsert: positional<[channel: string, subscription: string, kind: MessageKind, payload: Payload, now: number, visibleAt: number, priority: number, owner: string, leaseUntil: number]>(sql.insertAt(nextId)),
    inHandDeleteOne: positional<[id: number, owner: string]>(sql.deleteOne),
    inHandDeleteMany: command<Ids>(sql.deleteMany),
    inHandRenew: pluck<Ids & { leaseUntil: number }, number>(sql.renew),
    inHandOwners: barePluck<string>(sql.owners),
    inHandAnyExpired: pluck<Expired, number>(sql.anyExpired),
    inHandNextLeaseEnd: pluck<{ channel: string; subscription: string; owner: string }, number | null>(sql.nextLeaseEnd),
    inHandDemoteByIds: demotion<Ids>(sql.demoteByIds),
    inHandDemoteById: demotion<{ id: number }>(sql.demoteById),
    inHandDemoteOwner: demotion<{ owner: string; subscription: string | null }>(sql.demoteOwner),
    inHandDemoteExpired: demotion<Expired>(sql.demoteExpired),
    inHandCounts: query<{ now: number }, MessageCountsRow>(sql.counts),
  }
}

/** The statements of messages in hand. */
export type InHandStatements = ReturnType<typeof prepareInHandStatements>

function run<P>(demotion: Demotion<P>, params: P): number {
  const moved = demotion.copy.run(params).changes
  if (moved > 0) demotion.remove.run(params)
  return moved
}

/**
 * Moves the messages among `ids` that `owner` holds in hand into the queue, leased and unstarted
 * as before; returns how many moved. Call it before anything but an acknowledgement touches them.
 *
 * @example
 * demoteIds(s, [42], owner) // 1
 */
export function demoteIds(s: InHandStatements, ids: readonly number[], owner: string): number {
  if (ids.length === 0) return 0
  return run(s.inHandDemoteByIds, { ids: JSON.stringify(ids), owner })
}

/**
 * Moves message `id` into the queue if it is in hand, whoever holds it (cancel).
 *
 * @example
 * demoteId(s, 42)
 */
export function demoteId(s: InHandStatements, id: number): number {
  return run(s.inHandDemoteById, { id })
}

/**
 * Moves every message `owner` holds in hand (of one subscription, if given) into the queue: its
 * leases are about to end (release, a dead owner).
 *
 * @example
 * demoteOwner(s, 'box/4242/9f1c2ab07d3e')
 */
export function demoteOwner(s: InHandStatements, owner: string, subscription?: string): number {
  return run(s.inHandDemoteOwner, { owner, subscription: subscription ?? null })
}

/**
 * Moves the messages of the subscription in hand of owners other than `owner` whose leases ran out
 * into the queue, where the claim ends them as it ends any expired lease. One look when none did.
 *
 * @example
 * demoteExpired(s, 'jobs', 'main', owner, Date.now())
 */
export function demoteExpired(s: InHandStatements, channel: string, subscription: string, owner: string, now: number): number {
  const params = { channel, subscription, owner, now }
  return s.inHandAnyExpired.get(params) === undefined ? 0 : run(s.inHandDemoteExpired, params)
}

/**
 * Deletes the messages among `ids` that `owner` holds in hand (acknowledged); returns how many.
 *
 * @example
 * acknowledgeInHand(s, [41], owner) // 1
 */
export function acknowledgeInHand(s: InHandStatements, ids: readonly number[], owner: string): number {
  return ids.length === 1 ? s.inHandDeleteOne.run(ids[0]!, owner).changes : s.inHandDeleteMany.run({ ids: JSON.stringify(ids), owner }).changes
}
