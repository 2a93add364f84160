import { describe, expect, it } from 'vitest'
import { BarChart, chartColors, coord, RateLines, share } from '../../api/console/charts'

const svg = async (node: { toString(): string | Promise<string> }) => String(await node.toString())

/** The widths of the bars of one series (by its colour; the legend's 10×10 squares left out), in drawing order. */
function barWidths(html: string, series = 0) {
  const fill = chartColors[series]
  return [
    ...html.matchAll(
      new RegExp(`<rect x="[\\d.]+" y="[\\d.]+" width="([\\d.]+)" height="(?!10")\\d+" fill="${fill}"`, 'g'),
    ),
  ].map((m) => Number(m[1]))
}

const noBadNumbers = (html: string) => {
  expect(html).not.toMatch(/NaN|Infinity|undefined/)
}

describe('chart geometry helpers', () => {
  it('keeps coordinates finite, to one decimal', () => {
    expect(coord(12.345)).toBe(12.3)
    expect(coord(Number.NaN)).toBe(0)
    expect(coord(Number.POSITIVE_INFINITY)).toBe(0)
  })
  it('gives a share in 0..1, zero without a positive maximum', () => {
    expect(share(5, 10)).toBe(0.5)
    expect(share(15, 10)).toBe(1)
    expect(share(5, 0)).toBe(0)
    expect(share(-3, 10)).toBe(0)
    expect(share(Number.NaN, 10)).toBe(0)
    expect(share(3, Number.NaN)).toBe(0)
  })
})

describe('BarChart', () => {
  it('draws bars proportional to the largest value, with its title, figures and a scalable frame', async () => {
    const html = await svg(
      BarChart({
        title: '开工与完工',
        summary: '开工 10 个，完工 5 个',
        series: ['项目数'],
        rows: [
          { label: '开工', values: [10], text: '10 个' },
          { label: '完工', values: [5], text: '5 个' },
          { label: '未开工', values: [0], text: '0 个' },
        ],
      }),
    )
    const [started, completed, none] = barWidths(html)
    expect(started).toBe(358)
    expect(completed).toBe(179)
    expect(none).toBe(0)
    expect(html).toMatch(/^<svg [^>]*viewBox="0 0 360 \d+"/)
    expect(html).toContain('width="100%"')
    expect(html).toContain('role="img"')
    expect(html).toContain('aria-label="开工与完工：开工 10 个，完工 5 个"')
    expect(html).toContain('<title>开工与完工</title>')
    expect(html).toContain('>10 个</text>')
    noBadNumbers(html)
  })

  it('scales to a target larger than every value, and marks it', async () => {
    const html = await svg(
      BarChart({
        title: '开工',
        summary: '开工 20 个，目标 80 个',
        series: ['项目数'],
        rows: [{ label: '开工', values: [20], text: '20 / 80 个', target: 80 }],
      }),
    )
    expect(barWidths(html)).toEqual([89.5])
    expect(html).toMatch(/<line x1="359" x2="359"/)
  })

  it('takes a fixed maximum for rates, and draws grouped bars one per series', async () => {
    const html = await svg(
      BarChart({
        title: '覆盖率',
        summary: '甲街道 50.0%、25.0%',
        series: ['组建率', '覆盖率'],
        mode: 'grouped',
        max: 1,
        rows: [{ label: '甲街道', values: [0.5, 0.25], text: '50.0% · 25.0%' }],
      }),
    )
    expect(barWidths(html, 0)).toEqual([179])
    expect(barWidths(html, 1)).toEqual([89.5])
    expect(html).toContain('>组建率</text>')
  })

  it('draws zero rates on a fixed scale as bars of no length, not as the empty state', async () => {
    const html = await svg(
      BarChart({
        title: '覆盖率',
        summary: '甲社区 0.0%',
        series: ['组建率'],
        max: 1,
        rows: [{ label: '甲社区', values: [0], text: '0.0%' }],
      }),
    )
    expect(barWidths(html)).toEqual([0])
    expect(html).not.toContain('暂无数据')
    noBadNumbers(html)
  })

  it('stacks the parts of a row end to end', async () => {
    const html = await svg(
      BarChart({
        title: '超时',
        summary: '张三 诉求 3 件、任务 1 件',
        series: ['诉求', '任务'],
        rows: [
          { label: '张三', values: [3, 1], text: '3 · 1' },
          { label: '李四', values: [0, 2], text: '0 · 2' },
        ],
      }),
    )
    expect(barWidths(html, 0)).toEqual([268.5, 0])
    expect(barWidths(html, 1)).toEqual([89.5, 179])
    expect(html).toMatch(/<rect x="269.5" y="[\d.]+" width="89.5" height="12" fill="#d4a72c"/)
  })

  it('draws the empty state for no rows, for all zeros and for values that are not numbers', async () => {
    for (const rows of [
      [],
      [{ label: '开工', values: [0], text: '0 个' }],
      [{ label: '开工', values: [Number.NaN], text: '—' }],
    ]) {
      const html = await svg(
        BarChart({ title: '开工', summary: '无', series: ['项目数'], rows, empty: '本年度还没有项目。' }),
      )
      expect(html).toContain('本年度还没有项目。')
      expect(html).toContain('viewBox="0 0 360 56"')
      expect(barWidths(html)).toEqual([])
      noBadNumbers(html)
    }
  })

  it('escapes names it is given', async () => {
    const html = await svg(
      BarChart({
        title: '<b>超时</b>',
        summary: '"x"',
        series: ['诉求'],
        rows: [{ label: '<script>', values: [1], text: '1' }],
      }),
    )
    expect(html).not.toContain('<script>')
    expect(html).not.toContain('<b>')
    expect(html).toContain('&lt;script&gt;')
  })
})

describe('RateLines', () => {
  it('draws a line per series through the rates, broken where a month has none', async () => {
    const html = await svg(
      RateLines({
        title: '三率按月',
        summary: '1月 100%',
        labels: ['1', '2', '3'],
        series: [{ name: '响应率', values: [1, null, 0.5] }],
      }),
    )
    // Two pieces: January alone, then March. Heights: 100% at the top (30), 50% half-way (100).
    const path = /<path d="([^"]+)"/.exec(html)?.[1]
    expect(path).toBe('M36 30 M352 100')
    expect(html.match(/<circle /g)).toHaveLength(2)
    expect(html).toContain('>100%</text>')
    noBadNumbers(html)
  })

  it('joins consecutive months and draws the empty state when no month has a rate', async () => {
    const joined = await svg(
      RateLines({ title: 't', summary: 's', labels: ['1', '2'], series: [{ name: 'a', values: [0, 1] }] }),
    )
    expect(/<path d="([^"]+)"/.exec(joined)?.[1]).toBe('M36 170 L352 30')
    const empty = await svg(
      RateLines({
        title: '三率按月',
        summary: '无',
        labels: ['1', '2'],
        series: [{ name: '响应率', values: [null, null] }],
        empty: '本年度还没有可计算的诉求。',
      }),
    )
    expect(empty).toContain('本年度还没有可计算的诉求。')
    expect(empty).not.toContain('<path')
    noBadNumbers(empty)
  })
})
