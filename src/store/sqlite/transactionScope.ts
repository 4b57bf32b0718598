// Whether a call runs inside the application's `database.transaction(fn)`, or while the
// application holds a transaction open by hand (BEGIN ... await ... COMMIT) that the call is not
// part of. Both look the same to SQLite (the handle is not in autocommit mode); only the call
// stack tells them apart, and only synchronously: a transaction function runs its whole body
// inside one synchronous call of the function better-sqlite3 wraps it in.
//
// Why the stack and not the clock: "still open in a later task than the one that first saw it"
// proves a transaction was held by hand, but only after the fact. The first send after a BEGIN,
// in the same task, cannot be told that way, and an observer that sees a transaction open twice
// cannot tell whether it is the same one or a new `database.transaction(fn)` begun in between.
// The stack answers at the call, for the call. What it cannot see: which database a wrapper frame
// belongs to (better-sqlite3's code is strict mode, so V8 hides the receiver), so a send inside a
// transaction function of another database, while this one holds a transaction by hand, is
// taken to be inside.

/** The name of the function `database.transaction(fn)` returns (better-sqlite3, lib/methods/transaction.js). */
export const TRANSACTION_FRAME = 'sqliteTransaction'

/** Frames looked at first: the wrapper is usually a few frames above the send. */
const NEAR = 32

/**
 * True when better-sqlite3's transaction wrapper is on the caller's stack. Costs a stack capture
 * (about 0.4 µs a frame), so call it only when the handle is in a transaction. Looks at the
 * nearest frames first and at the whole stack only when the wrapper is not among them. Reads
 * V8's call sites rather than the `stack` text, so an application's own `Error.prepareStackTrace`
 * (source maps) cannot hide the frame, and no frame limit can cut it off.
 *
 * @example
 * if (db.inTransaction && !insideTransactionFunction()) throw new Error('not my transaction')
 */
export function insideTransactionFunction(): boolean {
  const sites = callSites(NEAR)
  if (sites.some(isWrapper)) return true
  return sites.length >= NEAR && callSites(Infinity).some(isWrapper)
}

function isWrapper(site: NodeJS.CallSite): boolean {
  return site.getFunctionName() === TRANSACTION_FRAME
}

function callSites(limit: number): NodeJS.CallSite[] {
  const { stackTraceLimit, prepareStackTrace } = Error
  const ownPrepare = Object.hasOwn(Error, 'prepareStackTrace')
  const holder: { stack?: unknown } = {}
  try {
    Error.stackTraceLimit = limit
    Error.prepareStackTrace = (_error, sites) => sites
    Error.captureStackTrace(holder, callSites)
    return holder.stack as NodeJS.CallSite[]
  } finally {
    Error.stackTraceLimit = stackTraceLimit
    if (ownPrepare) Error.prepareStackTrace = prepareStackTrace
    else Reflect.deleteProperty(Error, 'prepareStackTrace')
  }
}
