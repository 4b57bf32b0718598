// A job page: where it is, its times and attempts, its arguments (pretty-printed, cut when huge),
// progress, last error with its stack, and a handler job's result.
import { getJson } from './api.js'
import { h, replace, when } from './dom.js'

export function jobView(ctx, id) {
  const element = h('section', { class: 'job' })
  return {
    element,
    async refresh() {
      const { job } = await getJson(`api/jobs/${encodeURIComponent(id)}`)
      const channelHref = `#/channels/${encodeURIComponent(job.channel)}`
      ctx.setCrumbs(h('a', { href: '#/' }, 'Overview'), job.channel === '' ? h('span', {}, '?') : h('a', { href: `${channelHref}?state=${job.state}` }, job.channel), h('span', {}, `Job ${job.id}`))
      const path = `api/channels/${encodeURIComponent(job.channel)}`
      const { readOnly, canCancel } = ctx.session
      const actions = readOnly ? [] : [
        job.state === 'dead' && job.args !== null ? h('button', { type: 'button', dataset: { action: 'replay' }, on: { click: () => ctx.act(`${path}/replay`, { ids: [job.id] }) } }, 'Replay') : null,
        job.state === 'dead' && job.args !== null ? h('button', { type: 'button', class: 'danger', dataset: { action: 'purge' }, on: { click: () => ctx.act(`${path}/purge`, { ids: [job.id], confirm: true }, `Delete dead letter ${job.id} for good?`) } }, 'Purge') : null,
        canCancel && ['waiting', 'delayed', 'active'].includes(job.state) ? h('button', { type: 'button', dataset: { action: 'cancel' }, on: { click: () => ctx.act(`api/jobs/${job.id}/cancel`, {}, `Cancel job ${job.id}?`) } }, 'Cancel') : null,
      ]
      replace(element,
        h('div', { class: 'card head' },
          h('h1', {}, `Job ${job.id} `, h('span', { class: `badge state-${job.state}`, id: 'job-state' }, job.state)),
          h('div', { class: 'actions' }, actions)),
        h('div', { class: 'card' }, h('dl', { class: 'facts' },
          fact('Channel', job.channel === '' ? '–' : h('a', { href: channelHref }, job.channel)),
          fact('Subscription', job.subscription || '–'),
          fact('Kind', job.kind === 'invoke' ? 'handler job (invoke)' : job.kind === 'message' ? 'listener message' : '–'),
          fact('Priority', String(job.priority)),
          fact('Attempts', String(job.attempts)),
          fact('Created', when(job.createdAt)),
          fact(job.state === 'waiting' || job.state === 'delayed' ? 'Due' : job.state === 'active' ? 'Running since' : 'Ended', when(job.runAt)),
        )),
        block('Arguments', job.args, 'args', job.args === null ? 'Not kept once a job has ended.' : null),
        job.progress === null ? null : block('Progress', job.progress, 'progress'),
        job.lastError === null ? null : h('div', { class: 'card' }, h('h2', {}, 'Last error'), h('pre', { class: 'value error-text', id: 'last-error' }, job.lastError)),
        job.result === null ? null : block(job.result.ok ? 'Result' : 'Failure', job.result.value, 'result'),
      )
    },
  }
}

function fact(label, value) {
  return [h('dt', {}, label), h('dd', {}, value)]
}

function block(title, value, id, empty = null) {
  return h('div', { class: 'card' },
    h('h2', {}, title),
    value === null
      ? h('p', { class: 'muted' }, empty)
      : [
          h('pre', { class: 'value', id }, value.text),
          value.truncated ? h('p', { class: 'muted small' }, `Cut at ${value.text.length.toLocaleString('en-US')} of ${value.length.toLocaleString('en-US')} characters.`) : null,
        ])
}
