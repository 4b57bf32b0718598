// The board's page: a hash router over three views (overview, channel, job), each re-read when
// the board announces a new snapshot, so that nothing needs a reload.
import { getSession, post, watch } from './api.js'
import { h, replace } from './dom.js'
import { channelView } from './channel.js'
import { jobView } from './job.js'
import { overviewView } from './overview.js'

const view = document.getElementById('view')
const crumbs = document.getElementById('crumbs')
const live = document.getElementById('live')
const notice = document.getElementById('notice')

let current = null // { refresh() } of the view on screen
let rendering = Promise.resolve()
let noticeTimer

/** What views get: where to draw, the session, and helpers. */
function context(session) {
  return {
    session,
    setCrumbs: (...parts) => replace(crumbs, ...parts.map((p, i) => [i > 0 ? h('span', { class: 'sep' }, '/') : null, p])),
    /** Runs an action (after `question`, when given) and says how it went. */
    async act(path, body, question) {
      if (question !== undefined && !window.confirm(question)) return undefined
      try {
        const result = await post(path, body)
        say(result.message, 'ok')
        await refresh()
        return result
      } catch (err) {
        say(err.message, 'error')
        return undefined
      }
    },
    say,
    go: (hash) => {
      location.hash = hash
    },
  }
}

function say(text, kind = 'ok') {
  notice.textContent = text
  notice.className = `notice ${kind}`
  notice.hidden = false
  clearTimeout(noticeTimer)
  noticeTimer = setTimeout(() => (notice.hidden = true), kind === 'error' ? 10_000 : 4000)
}

function route() {
  const hash = decodeURIComponent(location.hash.replace(/^#/, '')) || '/'
  const [path, query = ''] = hash.split('?')
  const parts = path.split('/').filter(Boolean)
  const params = new URLSearchParams(query)
  if (parts[0] === 'channels' && parts.length >= 2) return { name: 'channel', channel: parts.slice(1).join('/'), params }
  if (parts[0] === 'jobs' && parts.length === 2) return { name: 'job', id: parts[1], params }
  return { name: 'overview', params }
}

async function show() {
  const session = await getSession()
  const ctx = context(session)
  const r = route()
  current = r.name === 'channel' ? channelView(ctx, r.channel, r.params) : r.name === 'job' ? jobView(ctx, r.id) : overviewView(ctx)
  replace(view, current.element)
  await refresh()
  view.focus?.()
}

/** Re-reads what the current view shows; calls never overlap. */
function refresh() {
  rendering = rendering.then(async () => {
    try {
      await current?.refresh()
    } catch (err) {
      replace(view, h('div', { class: 'error-page' }, h('h1', {}, err.status === 404 ? 'Not found' : 'Something went wrong'), h('p', {}, err.message), h('p', {}, h('a', { href: '#/' }, 'Back to the overview'))))
      current = null
    }
  })
  return rendering
}

async function start() {
  let session
  try {
    session = await getSession()
  } catch (err) {
    replace(view, h('div', { class: 'error-page' }, h('h1', {}, 'The board needs its token'), h('p', {}, err.message)))
    live.textContent = 'offline'
    return
  }
  document.getElementById('mode').textContent = session.readOnly ? 'read-only' : ''
  document.body.classList.toggle('read-only', session.readOnly)
  window.addEventListener('hashchange', () => void show())
  let seen = -1
  watch(
    (version) => {
      if (version !== seen) {
        seen = version
        void refresh()
      }
    },
    (state) => {
      live.textContent = state === 'live' ? 'live' : 'reconnecting…'
      live.className = `live ${state}`
    },
  )
  await show()
}

void start()
