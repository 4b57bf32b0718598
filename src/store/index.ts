// The store layer's surface for the actors: the contract, its SQLite implementation, owner ids.

export type * from './types.js'
export { openSqliteStore } from './sqliteStore.js'
export { newOwnerId } from './owners.js'
