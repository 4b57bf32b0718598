// Imported first by the executable, before anything loads better-sqlite3's native addon, which
// reads SQLITE_USE_URI once as it loads: URI filenames let the read commands open a database in a
// directory they cannot write (a read-only mount) as immutable (`file:...?immutable=1`, see
// src/store/fileAccess.ts). Only names starting with `file:` are read as URIs.
process.env.SQLITE_USE_URI ??= '1'

export {}
