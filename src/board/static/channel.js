// A channel page: its counts and actions, its jobs by state (tabs), a page at a time (keyset
// cursors), and a look-up by job id or idempotency key.
import { getJson } from './api.js'
import { count, duration, h, replace, when } from './dom.js'

const LABELS = { waiting: 'Waiting', delayed: 'Delayed', active: 'Active', dead: 'Dead', completed: 'Completed', cancelled: 'Cancelled' }

export function channelView(ctx, name, params) {
  const state = ctx.session.states.includes(params.get('state')) ? params.get('state') : 'waiting'
  const cursor = params.get('cursor')
  const base = `#/channels/${encodeURIComponent(name)}`
  const path = `api/channels/${encodeURIComponent(name)}`
  const element = h('section', { class: 'channel' })
  ctx.setCrumbs(h('a', { href: '#/' }, 'Overview'), h('span', {}, name))

  const search = h('input', { type: 'search', name: 'q', placeholder: 'Job id or key', 'aria-label': 'Find a job by id or key' })
  const lookup = h('form', {
    class: 'lookup',
    role: 'search',
    on: {
      submit: async (event) => {
        event.preventDefault()
        const q = search.value.trim()
        if (q === '') return
        const { ids } = await getJson(`${path}/lookup?q=${encodeURIComponent(q)}`)
        if (ids.length === 0) ctx.say(`No job of '${name}' has the id or key '${q}'`, 'error')
        else ctx.go(`#/jobs/${ids.at(-1)}`)
      },
    },
  }, search, h('button', { type: 'submit' }, 'Find'))

  return {
    element,
    async refresh() {
      const data = await getJson(`${path}?state=${state}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)
      const c = data.summary ?? { ready: 0, delayed: 0, active: 0, dead: 0, paused: false }
      const tabCount = { waiting: c.ready, delayed: c.delayed, active: c.active, dead: c.dead }
      replace(element,
        h('div', { class: 'card head' },
          h('h1', {}, name, c.paused ? h('span', { class: 'badge paused' }, 'paused') : null),
          h('p', { class: 'muted' },
            `max ${data.config.maxAttempts} attempts · concurrency ${data.config.concurrency} · lease ${duration(data.config.leaseMs)}`,
            data.config.timeoutMs === null ? '' : ` · timeout ${duration(data.config.timeoutMs)}`,
            data.config.rateLimit === null ? '' : ` · at most ${data.config.rateLimit.max} per ${duration(data.config.rateLimit.intervalMs)}`),
          ctx.session.readOnly ? null : h('div', { class: 'actions' },
            h('button', { type: 'button', dataset: { action: c.paused ? 'resume' : 'pause' }, on: { click: () => ctx.act(`${path}/${c.paused ? 'resume' : 'pause'}`, {}) } }, c.paused ? 'Resume' : 'Pause'),
            c.dead > 0 ? h('button', { type: 'button', dataset: { action: 'replay-all' }, on: { click: () => ctx.act(`${path}/replay`, { all: true }, `Replay all ${count(c.dead)} dead letters of '${name}'?`) } }, 'Replay all dead') : null,
            c.dead > 0 ? h('button', { type: 'button', class: 'danger', dataset: { action: 'purge-all' }, on: { click: () => ctx.act(`${path}/purge`, { all: true, confirm: true }, `Delete all ${count(c.dead)} dead letters of '${name}' for good?`) } }, 'Purge all dead') : null),
          lookup),
        h('nav', { class: 'tabs', 'aria-label': 'Jobs by state' }, ctx.session.states.map((s) =>
          h('a', { href: `${base}?state=${s}`, class: s === state ? 'current' : '', 'aria-current': s === state ? 'page' : null, dataset: { state: s } },
            LABELS[s] ?? s, tabCount[s] === undefined ? null : h('span', { class: 'pill' }, count(tabCount[s]))))),
        jobsTable(ctx, data.page, path),
        h('div', { class: 'pager' },
          cursor ? h('a', { href: `${base}?state=${state}` }, '« First page') : null,
          data.page.next ? h('a', { href: `${base}?state=${state}&cursor=${encodeURIComponent(data.page.next)}`, dataset: { next: '' } }, 'Next page »') : null),
      )
    },
  }
}

function jobsTable(ctx, page, path) {
  if (page.jobs.length === 0) return h('div', { class: 'card' }, h('p', { class: 'muted' }, `No ${page.state} jobs.`))
  const { readOnly, canCancel } = ctx.session
  const dead = page.state === 'dead'
  const live = ['waiting', 'delayed', 'active'].includes(page.state)
  const actionsFor = (job) => {
    if (readOnly) return null
    if (dead) {
      return h('td', {}, h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'small', dataset: { action: 'replay' }, on: { click: () => ctx.act(`${path}/replay`, { ids: [job.id] }) } }, 'Replay'),
        h('button', { type: 'button', class: 'small danger', dataset: { action: 'purge' }, on: { click: () => ctx.act(`${path}/purge`, { ids: [job.id], confirm: true }, `Delete dead letter ${job.id} for good?`) } }, 'Purge')))
    }
    if (live && canCancel) {
      return h('td', {}, h('div', { class: 'actions' }, h('button', { type: 'button', class: 'small', dataset: { action: 'cancel' }, on: { click: () => ctx.act(`api/jobs/${job.id}/cancel`, {}, `Cancel job ${job.id}?`) } }, 'Cancel')))
    }
    return h('td', {})
  }
  return h('div', { class: 'card' }, h('table', { class: 'grid jobs', id: 'jobs' },
    h('thead', {}, h('tr', {},
      h('th', { class: 'num' }, 'Id'), h('th', { class: 'num' }, 'Priority'), h('th', { class: 'num' }, 'Attempts'),
      h('th', {}, page.state === 'waiting' || page.state === 'delayed' ? 'Due' : page.state === 'active' ? 'Running since' : 'Ended'),
      h('th', {}, 'Arguments'), h('th', {}, 'Last error'), readOnly ? null : h('th', {}, ''))),
    h('tbody', {}, page.jobs.map((job) => h('tr', { dataset: { job: String(job.id) } },
      h('td', { class: 'num' }, h('a', { href: `#/jobs/${job.id}` }, String(job.id))),
      h('td', { class: 'num' }, String(job.priority)),
      h('td', { class: 'num' }, String(job.attempts)),
      h('td', {}, when(job.runAt)),
      h('td', { class: 'code', dataset: { col: 'args' } }, job.args ?? h('span', { class: 'muted' }, 'not kept')),
      h('td', { class: 'code error-text', dataset: { col: 'error' } }, job.error ?? ''),
      actionsFor(job),
    )))))
}
