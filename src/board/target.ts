// What the tools (the command line and the board) open: a database file, or a PostgreSQL store
// named by a postgres:// (or postgresql://) URL in its place, its schema in a `?schema=` query
// parameter. The URL goes to the store and nowhere else: what the tools print names the store by
// a label without user, password or parameters.
import { InvalidArgumentError } from '../errors.js'

/** A database file, or a PostgreSQL store. */
export type ToolTarget =
  | { kind: 'file'; path: string; label: string }
  | { kind: 'postgres'; connectionString: string; schema: string | undefined; label: string }

/**
 * True when `text` is a PostgreSQL URL rather than a file name.
 *
 * @example
 * isPostgresUrl('postgres://db/app') // true
 */
export function isPostgresUrl(text: string): boolean {
  return /^postgres(ql)?:\/\//i.test(text)
}

/**
 * Reads a tool's database argument. A URL's `schema` query parameter is taken out of the
 * connection string (the driver would pass it on to the server as a setting); `schema`, when
 * given (the CLI's --schema), must agree with it. Throws InvalidArgumentError, never quoting the
 * URL.
 *
 * @example
 * toolTarget('postgres://app:secret@db:5432/app?schema=jobs')
 * // { kind: 'postgres', connectionString: 'postgres://app:secret@db:5432/app', schema: 'jobs', label: "postgres://db:5432/app (schema 'jobs')" }
 */
export function toolTarget(text: string, schema?: string): ToolTarget {
  if (!isPostgresUrl(text)) {
    if (schema !== undefined) throw new InvalidArgumentError('A schema is only for a postgres:// URL, not a database file')
    return { kind: 'file', path: text, label: text }
  }
  const [base, query] = splitOnce(text, '?')
  const kept: string[] = []
  let fromUrl: string | undefined
  for (const part of query === undefined ? [] : query.split('&')) {
    const [key, value = ''] = splitOnce(part, '=')
    if (decode(key) !== 'schema') {
      if (part !== '') kept.push(part)
      continue
    }
    fromUrl = decode(value)
    if (fromUrl === '') throw new InvalidArgumentError('The URL\'s schema parameter is empty')
  }
  if (fromUrl !== undefined && schema !== undefined && fromUrl !== schema) {
    throw new InvalidArgumentError(`The URL names schema '${fromUrl}' and the option schema '${schema}': give one`)
  }
  const chosen = schema ?? fromUrl
  const connectionString = kept.length === 0 ? base : `${base}?${kept.join('&')}`
  return { kind: 'postgres', connectionString, schema: chosen, label: `${safeLabel(base)} (schema '${chosen ?? 'public'}')` }
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator)
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)]
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '))
  } catch {
    return text
  }
}

// scheme://host:port/database, without the user and password. Cut at the last '@': a password
// written with an unescaped '@' (or '/') still ends before it, and a host never holds one, so no
// part of the user information can be left in the label.
function safeLabel(base: string): string {
  const scheme = base.slice(0, base.indexOf('://') + 3).toLowerCase()
  const rest = base.slice(scheme.length)
  const at = rest.lastIndexOf('@')
  const hostAndPath = at < 0 ? rest : rest.slice(at + 1)
  const label = `${scheme}${hostAndPath}`
  return label === scheme ? `${scheme}(default host)` : label
}

/**
 * The argument that names `target` again (a URL with its schema as `?schema=`), for
 * createBoard({ path }).
 *
 * @example
 * targetPath(toolTarget('postgres://db/app', 'jobs')) // 'postgres://db/app?schema=jobs'
 */
export function targetPath(target: ToolTarget): string {
  if (target.kind === 'file' || target.schema === undefined) return target.kind === 'file' ? target.path : target.connectionString
  return `${target.connectionString}${target.connectionString.includes('?') ? '&' : '?'}schema=${encodeURIComponent(target.schema)}`
}
