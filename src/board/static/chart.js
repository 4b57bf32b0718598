// A small bar chart of deliveries per minute over the last hour, drawn as SVG elements (no
// library, nothing but the numbers goes in).
import { count, svg } from './dom.js'

const WIDTH = 120
const HEIGHT = 24

/** `series`: 60 per-minute counts, oldest first. */
export function deliveriesChart(series, estimated) {
  const max = Math.max(1, ...series)
  const total = series.reduce((a, b) => a + b, 0)
  const last = series.at(-1) ?? 0
  const bar = WIDTH / series.length
  const label = `${estimated ? 'about ' : ''}${count(total)} deliveries in the last hour, ${count(last)} this minute`
  return svg(
    'svg',
    { class: 'chart', viewBox: `0 0 ${WIDTH} ${HEIGHT}`, width: WIDTH, height: HEIGHT, role: 'img', 'aria-label': label },
    svg('title', {}, label),
    svg('line', { x1: 0, y1: HEIGHT - 0.5, x2: WIDTH, y2: HEIGHT - 0.5, class: 'axis' }),
    series.map((n, i) => {
      if (n <= 0) return null
      const height = Math.max(1, (n / max) * (HEIGHT - 2))
      return svg('rect', { x: (i * bar + 0.15).toFixed(2), y: (HEIGHT - height).toFixed(2), width: (bar - 0.3).toFixed(2), height: height.toFixed(2) })
    }),
  )
}
