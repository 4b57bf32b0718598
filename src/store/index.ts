// The store layer's surface for the actors and the command-line tool: the contract, its SQLite and
// PostgreSQL implementations, owner ids, and maintenance sessions for repairs.

export type * from './types.js'
export type * from './contract.js'
export type * from './boardTypes.js'
export { payloadBytes } from './types.js'
export { openSqliteStore } from './sqlite/sqliteStore.js'
export type { StoreOpenOptions } from './sqlite/openDatabase.js'
export { defaultBusyTimeoutMs } from './sqlite/pragmas.js'
export { newOwnerId } from './sqlite/owners.js'
export { openForMaintenance } from './sqlite/maintenance.js'
export type { MaintenanceSession } from './sqlite/maintenance.js'
export type { SqliteBoardReads } from './sqlite/boardReads.js'
export { openPostgresStore } from './postgres/postgresStore.js'
export type { PostgresStoreOptions } from './postgres/connection.js'
export { openForwardingStore } from './forwarding/forwardingStore.js'
export type { ForwardingStoreOptions } from './forwarding/forwardingStore.js'
export type { ForwardingSide, ForwardResult, OutboxBacklog } from './forwarding/forwardingSide.js'
