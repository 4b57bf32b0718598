// The page's own files (src/board/static/: HTML, CSS and browser modules, shipped as they are, no
// build step), read once and served from memory. The build copies the folder next to this module
// in dist/ (package.json "build"), so the same relative URL finds it from src/ and from dist/.
import { readdirSync, readFileSync } from 'node:fs'
import { extname } from 'node:path'

/** One file to serve. */
export interface Asset {
  type: string
  body: Buffer
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
}

let cache: Map<string, Asset> | undefined

/**
 * The board's files by name (`index.html`, `app.js`, ...).
 *
 * @example
 * loadAssets().get('index.html')?.body
 */
export function loadAssets(): Map<string, Asset> {
  if (cache !== undefined) return cache
  const dir = new URL('./static/', import.meta.url)
  const assets = new Map<string, Asset>()
  for (const name of readdirSync(dir)) {
    const type = TYPES[extname(name)]
    if (type !== undefined) assets.set(name, { type, body: readFileSync(new URL(name, dir)) })
  }
  cache = assets
  return assets
}
