// Building the page's elements. Every value goes in as text (text nodes, textContent,
// setAttribute on a fixed list of harmless attributes): no HTML string is ever parsed, so a
// stored `<img src=x onerror=...>` shows as those characters.

const ATTRIBUTES = new Set(['href', 'title', 'type', 'name', 'value', 'placeholder', 'aria-label', 'aria-current', 'role', 'colspan', 'for', 'id', 'min', 'max', 'disabled', 'checked', 'tabindex', 'scope'])

/**
 * Makes an element: h('a', { href: '#/', class: 'x', on: { click } }, 'text', child, [more]).
 * Strings and numbers become text nodes; null, undefined and false are skipped.
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag)
  applyProps(el, props)
  append(el, children)
  return el
}

/** An SVG element (the charts), with the same rules. */
export function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag)
  for (const [k, v] of Object.entries(attrs)) {
    if (v !== undefined && v !== null) el.setAttribute(k, String(v))
  }
  append(el, children)
  return el
}

function applyProps(el, props) {
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue
    if (key === 'class') el.className = Array.isArray(value) ? value.filter(Boolean).join(' ') : value
    else if (key === 'text') el.textContent = String(value)
    else if (key === 'on') for (const [event, fn] of Object.entries(value)) el.addEventListener(event, fn)
    else if (key === 'dataset') Object.assign(el.dataset, value)
    else if (ATTRIBUTES.has(key)) el.setAttribute(key, value === true ? '' : String(value))
    else throw new Error(`h(): attribute '${key}' is not allowed`)
  }
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue
    el.append(child instanceof Node ? child : document.createTextNode(String(child)))
  }
}

/** Replaces the children of `el`. */
export function replace(el, ...children) {
  el.replaceChildren()
  append(el, children)
}

/** A count with thousands separators. */
export function count(n) {
  return Number(n).toLocaleString('en-US')
}

/** A duration in its two largest units: 850ms, 12s, 4m 12s, 3h 5m, 2d 4h. */
export function duration(ms) {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`
  const s = Math.floor(ms / 1000)
  if (s < 60) return `${s}s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m}m ${s % 60}s`
  const hours = Math.floor(m / 60)
  if (hours < 24) return `${hours}h ${m % 60}m`
  return `${Math.floor(hours / 24)}d ${hours % 24}h`
}

/** A time relative to now ("3m 2s ago", "in 5s"), with the exact time as its title. */
export function when(ms) {
  if (ms === null || ms === undefined) return h('span', { class: 'muted' }, '–')
  const delta = ms - Date.now()
  const text = Math.abs(delta) < 1000 ? 'now' : delta > 0 ? `in ${duration(delta)}` : `${duration(-delta)} ago`
  return h('time', { title: new Date(ms).toLocaleString() }, text)
}
