// GET /metrics: the overview in Prometheus' text exposition format (version 0.0.4), for the
// tools people already run: per durable channel its depth by state, paused, the age of its oldest
// ready message, and delivered (and, over a broker, failed) counters; per renderer inbox its depth.
import type { Overview } from './overview.js'

/** The Content-Type of the text format. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

interface Family {
  name: string
  type: 'gauge' | 'counter'
  help: string
  samples: Array<[labels: Record<string, string>, value: number]>
}

/**
 * Renders `overview` as Prometheus text.
 *
 * @example
 * res.setHeader('Content-Type', METRICS_CONTENT_TYPE).end(metricsText(live.overview()))
 */
export function metricsText(overview: Overview): string {
  const perChannel = (pick: (c: Overview['channels'][number]) => number): Family['samples'] =>
    overview.channels.map((c) => [{ channel: c.name }, pick(c)])
  const families: Family[] = [
    { name: 'durable_ipc_ready', type: 'gauge', help: 'Messages due now and not in flight.', samples: perChannel((c) => c.ready) },
    { name: 'durable_ipc_delayed', type: 'gauge', help: 'Messages not due yet (delayMs, back-off).', samples: perChannel((c) => c.delayed) },
    { name: 'durable_ipc_in_flight', type: 'gauge', help: 'Messages held by a live lease (being delivered).', samples: perChannel((c) => c.active) },
    { name: 'durable_ipc_dead', type: 'gauge', help: 'Dead letters.', samples: perChannel((c) => c.dead) },
    { name: 'durable_ipc_paused', type: 'gauge', help: '1 while the channel is paused.', samples: perChannel((c) => (c.paused ? 1 : 0)) },
    {
      name: 'durable_ipc_oldest_ready_age_seconds',
      type: 'gauge',
      help: 'Age of the message at the head of the ready line (0 when none is ready).',
      samples: perChannel((c) => (c.oldestAgeMs ?? 0) / 1000),
    },
    {
      name: 'durable_ipc_delivered_total',
      type: 'counter',
      help: overview.failed === null
        ? "Messages that left the queue acknowledged since the board started (the board's estimate from the file)."
        : 'Deliveries the broker acknowledged since it opened.',
      samples: perChannel((c) => overview.delivered[c.name] ?? 0),
    },
  ]
  if (overview.failed !== null) {
    const failed = overview.failed
    families.push({ name: 'durable_ipc_failed_total', type: 'counter', help: 'Failed attempts (retried or dead-lettered) since the broker opened.', samples: perChannel((c) => failed[c.name] ?? 0) })
  }
  families.push({
    name: 'durable_ipc_renderer_inbox_depth',
    type: 'gauge',
    help: "Messages kept for a renderer's durable inbox (ready, delayed and in flight).",
    samples: overview.renderers.map((r) => [{ renderer: r.id }, r.depth]),
  })
  const lines: string[] = []
  for (const family of families) {
    lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`, `# TYPE ${family.name} ${family.type}`)
    for (const [labels, value] of family.samples) lines.push(`${family.name}${labelText(labels)} ${number(value)}`)
  }
  return `${lines.join('\n')}\n`
}

function labelText(labels: Record<string, string>): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')}"`)
  return parts.length === 0 ? '' : `{${parts.join(',')}}`
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')
}

function number(value: number): string {
  if (Number.isNaN(value)) return 'NaN'
  if (!Number.isFinite(value)) return value > 0 ? '+Inf' : '-Inf'
  return String(value)
}
