// The store layer's surface for the actors and the command-line tool: the contract, its SQLite
// implementation, owner ids, and maintenance sessions for repairs.

export type * from './types.js'
export { payloadBytes } from './types.js'
export { openSqliteStore } from './sqliteStore.js'
export { defaultBusyTimeoutMs } from './pragmas.js'
export { newOwnerId } from './owners.js'
export { openForMaintenance } from './maintenance.js'
export type { MaintenanceSession } from './maintenance.js'
