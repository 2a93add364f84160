import { describe, expect, it } from 'vitest'
import { createWorkCalendar, fromShanghai, shanghaiDate, shanghaiParts } from '../../core/sla/calendar'
import {
  computeDeadlines,
  defaultSlaConfig,
  describeDuration,
  type SlaConfig,
  slaConfigSchema,
} from '../../core/sla/deadlines'

const calendar = createWorkCalendar()
const sh = (at: Date) => {
  const p = shanghaiParts(at)
  return `${shanghaiDate(at)} ${String(p.hour).padStart(2, '0')}:${String(p.minute).padStart(2, '0')}`
}
const due = (
  at: Date,
  slaClass: 'utility' | 'general' | 'complex',
  urgency: 'urgent' | 'normal',
  category = 'other',
  config: SlaConfig = defaultSlaConfig,
) => {
  const d = computeDeadlines({ at, category, slaClass, urgency, config, calendar })
  return { response: sh(d.responseDueAt), resolution: sh(d.resolutionDueAt) }
}

describe('computeDeadlines with the default config', () => {
  it('gives urgent requests 2 h / 24 h, holidays or not', () => {
    expect(due(fromShanghai('2026-09-30', 10), 'general', 'urgent')).toEqual({
      response: '2026-09-30 12:00',
      resolution: '2026-10-01 10:00',
    })
    expect(due(fromShanghai('2026-10-03', 23), 'complex', 'urgent')).toEqual({
      response: '2026-10-04 01:00',
      resolution: '2026-10-04 23:00',
    })
  })

  it('gives utilities 2 h / 24 h', () => {
    expect(due(fromShanghai('2026-03-06', 17, 30), 'utility', 'normal', 'water')).toEqual({
      response: '2026-03-06 19:30',
      resolution: '2026-03-07 17:30',
    })
  })

  it('gives general requests 1 / 7 working days', () => {
    expect(due(fromShanghai('2026-03-06', 17, 30), 'general', 'normal')).toEqual({
      response: '2026-03-09 17:30',
      resolution: '2026-03-17 17:30',
    })
    // Across National Day: 8, 9, 10 (Saturday, adjusted), 12, 13, 14, 15 Oct.
    expect(due(fromShanghai('2026-09-30', 10), 'general', 'normal')).toEqual({
      response: '2026-10-08 10:00',
      resolution: '2026-10-15 10:00',
    })
  })

  it('gives complex requests 1 / 15 working days', () => {
    expect(due(fromShanghai('2026-09-30', 10), 'complex', 'normal')).toEqual({
      response: '2026-10-08 10:00',
      resolution: '2026-10-27 10:00',
    })
  })
})

describe('category overrides', () => {
  const config: SlaConfig = {
    ...defaultSlaConfig,
    categories: {
      elevator: { normal: { response: { hours: 4 }, resolution: { workingDays: 3 } } },
      gas_leak: { urgent: { response: { hours: 0.5 }, resolution: { hours: 4 } } },
    },
  }

  it('replaces the class rule for normal requests', () => {
    expect(due(fromShanghai('2026-03-06', 17, 30), 'complex', 'normal', 'elevator', config)).toEqual({
      response: '2026-03-06 21:30',
      resolution: '2026-03-11 17:30',
    })
  })

  it('falls back to the global urgent rule when the category has no urgent rule', () => {
    expect(due(fromShanghai('2026-03-06', 17, 30), 'complex', 'urgent', 'elevator', config)).toEqual({
      response: '2026-03-06 19:30',
      resolution: '2026-03-07 17:30',
    })
  })

  it('replaces the urgent rule with the category’s own', () => {
    expect(due(fromShanghai('2026-03-06', 17, 30), 'utility', 'urgent', 'gas_leak', config)).toEqual({
      response: '2026-03-06 18:00',
      resolution: '2026-03-06 21:30',
    })
    // ...but a normal gas_leak request still follows its class.
    expect(due(fromShanghai('2026-03-06', 17, 30), 'general', 'normal', 'gas_leak', config)).toEqual({
      response: '2026-03-09 17:30',
      resolution: '2026-03-17 17:30',
    })
  })
})

describe('slaConfigSchema', () => {
  const clone = () => structuredClone(defaultSlaConfig) as unknown as Record<string, Record<string, unknown>>

  it('accepts the default config unchanged', () => {
    expect(slaConfigSchema.parse(defaultSlaConfig)).toEqual(defaultSlaConfig)
  })

  it('accepts category rules', () => {
    const input = {
      ...defaultSlaConfig,
      categories: { elevator: { normal: { response: { hours: 4 }, resolution: { workingDays: 3 } } } },
    }
    expect(slaConfigSchema.parse(input).categories?.elevator?.normal?.resolution).toEqual({ workingDays: 3 })
  })

  it('rejects negative hours with a readable message and path', () => {
    const input = clone()
    input.urgent = { response: { hours: -2 }, resolution: { hours: 24 } }
    const result = slaConfigSchema.safeParse(input)
    expect(result.success).toBe(false)
    expect(result.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['urgent.response.hours', 'hours must be greater than 0'],
    ])
  })

  it('rejects a duration with both or neither unit, and fractional working days', () => {
    const input = clone()
    input.classes = {
      utility: { response: { hours: 2, workingDays: 1 }, resolution: {} },
      general: { response: { workingDays: 1.5 }, resolution: { workingDays: 7 } },
      complex: { response: { days: 1 }, resolution: { workingDays: 15 } },
    }
    const issues = slaConfigSchema.safeParse(input).error?.issues ?? []
    const byPath = (path: string) => issues.filter((i) => i.path.join('.') === path).map((i) => i.message)
    expect(byPath('classes.utility.response')).toEqual([
      expect.stringContaining('exactly one of "hours" or "workingDays"'),
    ])
    expect(byPath('classes.utility.resolution')).toEqual([expect.stringContaining('exactly one of')])
    expect(byPath('classes.general.response.workingDays')).toEqual(['workingDays must be a whole number'])
    expect(byPath('classes.complex.response')).toContain('Unrecognized key: "days"')
  })

  it('requires every class', () => {
    const input = clone()
    delete input.classes?.complex
    const issues = slaConfigSchema.safeParse(input).error?.issues ?? []
    expect(issues.map((i) => i.path.join('.'))).toEqual(['classes.complex'])
  })
})

describe('describeDuration', () => {
  it('speaks Chinese', () => {
    expect(describeDuration({ hours: 2 })).toBe('2小时')
    expect(describeDuration({ hours: 24 })).toBe('24小时')
    expect(describeDuration({ hours: 1.5 })).toBe('1.5小时')
    expect(describeDuration({ hours: 0.5 })).toBe('30分钟')
    expect(describeDuration({ workingDays: 7 })).toBe('7个工作日')
    expect(describeDuration({ workingDays: 1 })).toBe('1个工作日')
  })
})
