// SLA deadlines per category and urgency, after Beijing 12345 practice: urgent matters and utilities
// (water, power, gas, heating) in hours, everything else in working days on the official calendar.
import { z } from 'zod'
import type { WorkCalendar } from './calendar'

export type SlaClass = 'utility' | 'general' | 'complex'
export type Duration = { hours: number } | { workingDays: number }
export interface SlaRule {
  response: Duration
  resolution: Duration
}
export interface SlaConfig {
  urgent: SlaRule
  classes: Record<SlaClass, SlaRule>
  categories?: Record<string, Partial<Record<'urgent' | 'normal', SlaRule>>>
}

/** One year of hours, or of working days: anything longer is a typo, not an SLA. */
const MAX_HOURS = 24 * 366
const MAX_WORKING_DAYS = 250

const durationSchema = z
  .object({
    hours: z
      .number({ error: 'hours must be a number' })
      .positive('hours must be greater than 0')
      .max(MAX_HOURS, `hours must be at most ${MAX_HOURS}`)
      .optional(),
    workingDays: z
      .number({ error: 'workingDays must be a number' })
      .int('workingDays must be a whole number')
      .positive('workingDays must be at least 1')
      .max(MAX_WORKING_DAYS, `workingDays must be at most ${MAX_WORKING_DAYS}`)
      .optional(),
  })
  .strict()
  .refine((d) => (d.hours === undefined) !== (d.workingDays === undefined), {
    error:
      'a duration needs exactly one of "hours" or "workingDays", e.g. {"hours": 24} or {"workingDays": 7}',
  })
  .transform(
    (d): Duration => (d.hours !== undefined ? { hours: d.hours } : { workingDays: d.workingDays ?? 0 }),
  )

const ruleSchema = z
  .object({
    response: durationSchema,
    resolution: durationSchema,
  })
  .strict()

export const slaConfigSchema = z
  .object({
    urgent: ruleSchema,
    classes: z
      .object({
        utility: ruleSchema,
        general: ruleSchema,
        complex: ruleSchema,
      })
      .strict(),
    categories: z
      .record(
        z.string().min(1, 'category codes must not be empty'),
        z.object({ urgent: ruleSchema.optional(), normal: ruleSchema.optional() }).strict(),
      )
      .optional(),
  })
  .strict()

export const defaultSlaConfig: SlaConfig = {
  urgent: { response: { hours: 2 }, resolution: { hours: 24 } },
  classes: {
    utility: { response: { hours: 2 }, resolution: { hours: 24 } },
    general: { response: { workingDays: 1 }, resolution: { workingDays: 7 } },
    complex: { response: { workingDays: 1 }, resolution: { workingDays: 15 } },
  },
}

/** The rule that applies: the category's own rule for the urgency, else the urgent rule, else the class rule. */
export function resolveSlaRule(input: {
  category: string
  slaClass: SlaClass
  urgency: 'urgent' | 'normal'
  config: SlaConfig
}): SlaRule {
  const own = input.config.categories?.[input.category]?.[input.urgency]
  if (own) return own
  return input.urgency === 'urgent' ? input.config.urgent : input.config.classes[input.slaClass]
}

function addDuration(calendar: WorkCalendar, at: Date, d: Duration): Date {
  return 'hours' in d ? calendar.addHours(at, d.hours) : calendar.addWorkingDays(at, d.workingDays)
}

export function computeDeadlines(input: {
  at: Date
  category: string
  slaClass: SlaClass
  urgency: 'urgent' | 'normal'
  config: SlaConfig
  calendar: WorkCalendar
}): { responseDueAt: Date; resolutionDueAt: Date } {
  const rule = resolveSlaRule(input)
  return {
    responseDueAt: addDuration(input.calendar, input.at, rule.response),
    resolutionDueAt: addDuration(input.calendar, input.at, rule.resolution),
  }
}

/** Chinese, for residents: '2小时', '30分钟', '1.5小时', '7个工作日'. */
export function describeDuration(d: Duration): string {
  if ('workingDays' in d) return `${d.workingDays}个工作日`
  const minutes = Math.round(d.hours * 60)
  if (d.hours < 1 && minutes > 0) return `${minutes}分钟`
  return `${Number(d.hours.toFixed(2))}小时`
}
