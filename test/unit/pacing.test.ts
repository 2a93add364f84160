import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../config'
import { isQuietTime, splitMessage, startOfShanghaiDay } from '../../core/outbox/pacing'

const at = (shanghai: string) => new Date(`${shanghai}+08:00`)

describe('quiet hours', () => {
  const quiet = loadConfig({ QUIET_HOURS: '22:00-07:00' }).send.quietHours
  it.each([
    ['2026-03-02T21:59:00', false],
    ['2026-03-02T22:00:00', true],
    ['2026-03-03T03:00:00', true],
    ['2026-03-03T06:59:00', true],
    ['2026-03-03T07:00:00', false],
    ['2026-03-03T12:00:00', false],
  ])('%s Shanghai is quiet: %s', (time, expected) => {
    expect(isQuietTime(at(time), quiet)).toBe(expected)
  })
  it('handles a window inside one day, and off', () => {
    const lunch = loadConfig({ QUIET_HOURS: '12:00-13:30' }).send.quietHours
    expect(isQuietTime(at('2026-03-02T12:45:00'), lunch)).toBe(true)
    expect(isQuietTime(at('2026-03-02T13:30:00'), lunch)).toBe(false)
    expect(isQuietTime(at('2026-03-02T23:00:00'), loadConfig({ QUIET_HOURS: 'off' }).send.quietHours)).toBe(
      false,
    )
  })
  it('defaults to 22:00-07:00 for a real account and off in the sandbox', () => {
    expect(loadConfig({ WECHATY_PUPPET: 'wechaty-puppet-wechat4u' }).send.quietHours).toEqual({
      from: 1320,
      to: 420,
    })
    expect(loadConfig({}).send.quietHours).toBeNull()
  })
  it('rejects a malformed window naming the variable', () => {
    expect(() => loadConfig({ QUIET_HOURS: '10pm-7am' })).toThrow('QUIET_HOURS')
  })
  it('counts the day from Shanghai midnight', () => {
    expect(startOfShanghaiDay(at('2026-03-03T01:30:00')).toISOString()).toBe('2026-03-02T16:00:00.000Z')
  })
})

describe('splitting long messages', () => {
  it('leaves a short message whole', () => {
    expect(splitMessage('短消息', 100)).toEqual(['短消息'])
  })
  it('splits at line breaks into ordered, marked parts under the limit', () => {
    const lines = Array.from({ length: 60 }, (_, i) => `第${i + 1}条：3号楼施工安排，请各位居民注意。`)
    const parts = splitMessage(lines.join('\n'), 300)
    expect(parts.length).toBeGreaterThan(1)
    parts.forEach((p, i) => {
      expect(p.length).toBeLessThanOrEqual(300)
      expect(p.endsWith(`（${i + 1}/${parts.length}）`)).toBe(true)
    })
    const joined = parts.map((p) => p.replace(/\n（\d+\/\d+）$/, '')).join('\n')
    expect(joined).toBe(lines.join('\n'))
  })
  it('never cuts an emoji in half when there is no line break', () => {
    const text = '😀'.repeat(500)
    const parts = splitMessage(text, 201)
    expect(parts.map((p) => p.replace(/\n（\d+\/\d+）$/, '')).join('')).toBe(text)
    for (const p of parts) expect(p).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/)
  })
})

describe("CSV cells of residents' feedback", () => {
  it('quotes separators and defuses formulas', async () => {
    const { csvCell } = await import('../../core/shared/csv')
    expect(csvCell('普通意见')).toBe('普通意见')
    expect(csvCell('有,逗号')).toBe('"有,逗号"')
    expect(csvCell('=HYPERLINK("http://x")')).toBe(`"'=HYPERLINK(""http://x"")"`)
    expect(csvCell('+1 同意')).toBe("'+1 同意")
  })
})
