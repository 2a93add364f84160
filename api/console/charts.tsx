import type { Child } from 'hono/jsx'

// Server-drawn SVG charts: no script, no external resource, so the console's CSP holds. Each scales with its
// container (viewBox, width 100%) and is drawn for a 360-unit width, so on a 390 px phone one unit is about one
// pixel and 12-unit text stays legible. The figures always sit beside a chart in a table as well.

const width = 360
const maxWidth = 480
export const chartColors = ['#1d4e89', '#d4a72c', '#1a7f37', '#cf222e'] as const

/** A coordinate for the SVG: finite, one decimal; anything else (NaN, Infinity) is 0. */
export function coord(value: number): number {
  return Number.isFinite(value) ? Math.round(value * 10) / 10 : 0
}

/** A share of `max` in 0..1; 0 when either is not a positive finite number. */
export function share(value: number, max: number): number {
  if (!Number.isFinite(value) || !Number.isFinite(max) || max <= 0 || value <= 0) return 0
  return Math.min(value / max, 1)
}

const clip = (text: string, chars: number) => (text.length > chars ? `${text.slice(0, chars - 1)}…` : text)

/** The frame of every chart: a titled, described image that scales to its container. */
function Frame(props: { title: string; summary: string; height: number; children?: Child }) {
  return (
    <svg
      xmlns="http://www.w3.org/2000/svg"
      viewBox={`0 0 ${width} ${coord(props.height)}`}
      width="100%"
      // On a wide screen the drawing stops growing where its 12-unit text would pass about 16 px.
      style={`display:block;max-width:${maxWidth}px`}
      role="img"
      aria-label={`${props.title}：${props.summary}`}
      font-size="12"
      font-family="sans-serif"
    >
      <title>{props.title}</title>
      <desc>{props.summary}</desc>
      {props.children}
    </svg>
  )
}

/** What a chart with nothing to draw shows instead: its title and a line saying so. */
export function EmptyChart(props: { title: string; text?: string }) {
  const text = props.text ?? '暂无数据'
  return (
    <Frame title={props.title} summary={text} height={56}>
      <rect
        x="1"
        y="1"
        width={width - 2}
        height="54"
        rx="6"
        fill="#f6f8fa"
        stroke="#d0d7de"
        stroke-dasharray="4 3"
      />
      <text x={width / 2} y="33" text-anchor="middle" fill="#656d76">
        {text}
      </text>
    </Frame>
  )
}

function Legend(props: { names: readonly string[]; y: number }) {
  let x = 0
  return (
    <g>
      {props.names.map((name, i) => {
        const at = x
        x += 24 + name.length * 12
        return (
          <g>
            <rect x={at} y={props.y - 9} width="10" height="10" fill={chartColors[i % chartColors.length]} />
            <text x={at + 14} y={props.y}>
              {name}
            </text>
          </g>
        )
      })}
    </g>
  )
}

export interface BarRow {
  label: string
  /** One value per series (stacked: parts of one bar; grouped: a bar each). */
  values: readonly number[]
  /** What is written at the right of the row: the figures, as the table beside shows them. */
  text: string
  /** A target drawn as a mark across the bar. */
  target?: number
}

/**
 * Horizontal bars, one row each: the label and its figures on a line, the bar under it, so long names and
 * figures never squeeze the bar on a phone. Lengths are proportional to `max` (default: the largest total or
 * target). Nothing to draw (no rows, or every value and target zero without a fixed `max`) draws the empty state.
 */
export function BarChart(props: {
  title: string
  summary: string
  series: readonly string[]
  rows: readonly BarRow[]
  mode?: 'stacked' | 'grouped'
  max?: number
  empty?: string
}) {
  const mode = props.mode ?? 'stacked'
  const totals = props.rows.map((row) =>
    mode === 'stacked'
      ? row.values.reduce((sum, v) => sum + (Number.isFinite(v) && v > 0 ? v : 0), 0)
      : Math.max(0, ...row.values.filter(Number.isFinite)),
  )
  const targets = props.rows.map((row) => row.target ?? 0).filter(Number.isFinite)
  const largest = Math.max(0, ...totals, ...targets)
  const max = props.max ?? largest
  // With a fixed scale (rates) a zero is a figure worth drawing; without one, all zeros is nothing to draw.
  if (props.rows.length === 0 || !(max > 0) || (props.max === undefined && largest <= 0)) {
    return <EmptyChart title={props.title} text={props.empty} />
  }
  const legend = props.series.length > 1 ? 20 : 0
  const barHeight = mode === 'grouped' ? 8 * props.series.length : 12
  const rowHeight = 22 + barHeight
  const plot = width - 2
  return (
    <Frame title={props.title} summary={props.summary} height={legend + props.rows.length * rowHeight}>
      {legend ? <Legend names={props.series} y={12} /> : null}
      {props.rows.map((row, r) => {
        const top = legend + r * rowHeight
        const barTop = top + 17
        let x = 1
        const bars = row.values.map((value, i) => {
          const length = coord(share(value, max) * plot)
          const fill = chartColors[i % chartColors.length]
          if (mode === 'grouped') {
            return <rect x="1" y={coord(barTop + i * 8)} width={length} height="7" fill={fill} />
          }
          const at = x
          x += length
          return <rect x={coord(at)} y={barTop} width={length} height={barHeight} fill={fill} />
        })
        const target = row.target === undefined ? null : coord(1 + share(row.target, max) * plot)
        return (
          <g>
            <text x="0" y={top + 13}>
              {clip(row.label, 12)}
            </text>
            <text x={width} y={top + 13} text-anchor="end" fill="#424a53">
              {row.text}
            </text>
            <rect x="1" y={barTop} width={plot} height={barHeight} fill="#eef1f4" />
            {bars}
            {target === null ? null : (
              <line
                x1={target}
                x2={target}
                y1={barTop - 3}
                y2={barTop + barHeight + 3}
                stroke="#cf222e"
                stroke-width="2"
              />
            )}
          </g>
        )
      })}
    </Frame>
  )
}

/**
 * Rates (0..1) by month as lines, one per series; a month without a rate (nothing to divide by) breaks its line.
 * No rate at all draws the empty state.
 */
export function RateLines(props: {
  title: string
  summary: string
  labels: readonly string[]
  series: readonly { name: string; values: readonly (number | null)[] }[]
  empty?: string
}) {
  const any = props.series.some((s) => s.values.some((v) => v !== null && Number.isFinite(v)))
  if (!any || props.labels.length === 0) return <EmptyChart title={props.title} text={props.empty} />
  const left = 36
  const right = width - 8
  const top = 30
  const bottom = 170
  const step = props.labels.length > 1 ? (right - left) / (props.labels.length - 1) : 0
  const xOf = (i: number) => coord(props.labels.length > 1 ? left + i * step : (left + right) / 2)
  const yOf = (rate: number) => coord(bottom - share(rate, 1) * (bottom - top))
  return (
    <Frame title={props.title} summary={props.summary} height={192}>
      <Legend names={props.series.map((s) => s.name)} y={12} />
      {[0, 0.5, 1].map((tick) => (
        <g>
          <line x1={left} x2={right} y1={yOf(tick)} y2={yOf(tick)} stroke="#d8dee4" stroke-width="1" />
          <text x={left - 4} y={yOf(tick) + 4} text-anchor="end" fill="#656d76" font-size="11">
            {`${tick * 100}%`}
          </text>
        </g>
      ))}
      {props.labels.map((label, i) => (
        <text x={xOf(i)} y={bottom + 16} text-anchor="middle" fill="#656d76" font-size="11">
          {label}
        </text>
      ))}
      {props.series.map((s, i) => {
        const color = chartColors[i % chartColors.length]
        let d = ''
        let pen = false
        s.values.forEach((v, at) => {
          if (v === null || !Number.isFinite(v)) {
            pen = false
            return
          }
          d += `${pen ? 'L' : 'M'}${xOf(at)} ${yOf(v)} `
          pen = true
        })
        return (
          <g>
            {d ? <path d={d.trim()} fill="none" stroke={color} stroke-width="2" /> : null}
            {s.values.map((v, at) =>
              v === null || !Number.isFinite(v) ? null : (
                <circle cx={xOf(at)} cy={yOf(v)} r="2.5" fill={color} />
              ),
            )}
          </g>
        )
      })}
    </Frame>
  )
}
