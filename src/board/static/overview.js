// The overview: every durable channel's counts and delivery chart, the renderer inboxes, and the
// schedules, with pause/resume and "run now" unless the board is read-only.
import { getJson } from './api.js'
import { deliveriesChart } from './chart.js'
import { count, duration, h, replace, when } from './dom.js'

export function overviewView(ctx) {
  const element = h('section', { class: 'overview' })
  ctx.setCrumbs(h('span', {}, 'Overview'))
  return {
    element,
    async refresh() {
      const data = await getJson('api/overview')
      replace(element, channelsSection(ctx, data), inboxesSection(data), schedulesSection(ctx, data))
    },
  }
}

function channelsSection(ctx, data) {
  const { readOnly } = ctx.session
  const rows = data.channels.map((c) =>
    h('tr', { dataset: { channel: c.name } },
      h('th', { scope: 'row' }, h('a', { href: `#/channels/${encodeURIComponent(c.name)}` }, c.name), c.paused ? h('span', { class: 'badge paused' }, 'paused') : null),
      num(c.ready, 'ready'), num(c.delayed, 'delayed'), num(c.active, 'active'), num(c.dead, 'dead', c.dead > 0 ? 'bad' : ''),
      h('td', { class: 'num', dataset: { col: 'oldest' } }, c.oldestAgeMs === null ? '–' : duration(c.oldestAgeMs)),
      h('td', {}, h('div', { class: 'chart-cell' }, deliveriesChart(c.deliveries, data.deliveriesEstimated), h('span', { class: 'muted small' }, `${count(c.deliveries.at(-1) ?? 0)}/min`))),
      readOnly ? null : h('td', {}, h('div', { class: 'actions' },
        h('button', {
          type: 'button',
          class: 'small',
          dataset: { action: c.paused ? 'resume' : 'pause' },
          on: { click: () => ctx.act(`api/channels/${encodeURIComponent(c.name)}/${c.paused ? 'resume' : 'pause'}`, {}) },
        }, c.paused ? 'Resume' : 'Pause'))),
    ))
  return h('div', { class: 'card' },
    h('h2', {}, 'Durable channels'),
    data.channels.length === 0
      ? h('p', { class: 'muted' }, 'No durable channels in this store yet.')
      : h('table', { class: 'grid', id: 'channels' },
        h('thead', {}, h('tr', {},
          h('th', {}, 'Channel'), h('th', { class: 'num' }, 'Ready'), h('th', { class: 'num' }, 'Delayed'), h('th', { class: 'num' }, 'Active'),
          h('th', { class: 'num' }, 'Dead'), h('th', { class: 'num', title: 'How long the head of the ready line has waited' }, 'Oldest'),
          h('th', { title: data.deliveriesEstimated ? "The board's estimate from the file (several busy channels)" : 'Deliveries per minute' }, `Deliveries, last hour${data.deliveriesEstimated ? ' (≈)' : ''}`),
          readOnly ? null : h('th', {}, ''))),
        h('tbody', {}, rows)),
  )
}

function num(value, col, cls = '') {
  return h('td', { class: ['num', cls], dataset: { col } }, count(value))
}

function inboxesSection(data) {
  if (data.renderers.length === 0) return null
  return h('div', { class: 'card' },
    h('h2', {}, 'Renderer inboxes'),
    h('table', { class: 'grid' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Renderer'), h('th', { class: 'num' }, 'Waiting'), h('th', {}, 'By channel'))),
      h('tbody', {}, data.renderers.map((r) => h('tr', {},
        h('th', { scope: 'row' }, r.id),
        h('td', { class: 'num' }, count(r.depth)),
        h('td', {}, Object.entries(r.channels).map(([channel, n]) => h('span', { class: 'pill' }, `${channel} ${count(n)}`))),
      )))),
  )
}

function schedulesSection(ctx, data) {
  if (!Array.isArray(data.schedules)) return null
  const { readOnly } = ctx.session
  return h('div', { class: 'card' },
    h('h2', {}, 'Schedules'),
    data.schedules.length === 0
      ? h('p', { class: 'muted' }, 'No schedules.')
      : h('table', { class: 'grid', id: 'schedules' },
        h('thead', {}, h('tr', {}, h('th', {}, 'Schedule'), h('th', {}, 'Channel'), h('th', {}, 'When'), h('th', {}, 'Next run'), h('th', {}, 'Last run'), readOnly ? null : h('th', {}, ''))),
        h('tbody', {}, data.schedules.map((s) => h('tr', { dataset: { schedule: s.name } },
          h('th', { scope: 'row' }, s.name),
          h('td', {}, h('a', { href: `#/channels/${encodeURIComponent(s.channel)}` }, s.channel)),
          h('td', {}, s.cron !== null ? `${s.cron}${s.tz ? ` (${s.tz})` : ''}` : `every ${duration(s.everyMs)}`),
          h('td', {}, when(s.nextRunAt)),
          h('td', {}, when(s.lastRunAt)),
          readOnly ? null : h('td', {}, h('div', { class: 'actions' }, h('button', {
            type: 'button',
            class: 'small',
            dataset: { action: 'run' },
            on: { click: () => ctx.act(`api/schedules/${encodeURIComponent(s.name)}/run`, {}, `Enqueue schedule '${s.name}' now? Its next run stays as it is.`) },
          }, 'Run now'))),
        )))),
  )
}
