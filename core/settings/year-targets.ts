import { z } from 'zod'
import type { Config } from '../../config'
import type { DbOrTx } from '../../db/client'
import { recordAudit } from '../audit/audit'
import { type Actor, assertRole } from '../shared/actor'
import type { Clock } from '../shared/clock'
import { invalid } from '../shared/errors'
import { createSettingCache, readSetting, writeSetting } from './settings.store'

/** The year's targets (work plan 一(一)): projects started and completed, fixed-asset investment in 元. */
export interface YearTarget {
  started: number
  completed: number
  investmentYuan: string
}
export type YearTargets = Record<string, YearTarget>

export const yearTargetsKey = 'year_targets'

/** The work plan's figures: 80 started, 50 completed, 12.8亿元 — offered when a year has none yet. */
export const workPlanTargets: YearTarget = { started: 80, completed: 50, investmentYuan: '1280000000' }

const countOf = (what: string) =>
  z
    .number({ error: `${what}应为整数，如 80。` })
    .int(`${what}应为整数，如 80。`)
    .min(0, `${what}不能是负数。`)
    .max(100_000, `${what}不超过 100000 个。`)

export const yearTargetSchema = z
  .object({
    started: countOf('开工目标'),
    completed: countOf('完工目标'),
    investmentYuan: z
      .string({ error: '投资目标应为以元计的金额，如 1280000000（即 12.8 亿元）。' })
      .regex(
        /^\d{1,14}(\.\d{1,2})?$/,
        '投资目标应为以元计的金额，最多两位小数、不超过 14 位整数，如 1280000000（即 12.8 亿元）。',
      ),
  })
  .strict()

export const targetYearSchema = z
  .number({ error: '年份应为 2000 到 2100 之间的整数，如 2026。' })
  .int('年份应为 2000 到 2100 之间的整数，如 2026。')
  .min(2000, '年份应为 2000 到 2100 之间的整数，如 2026。')
  .max(2100, '年份应为 2000 到 2100 之间的整数，如 2026。')

const storedSchema = z.record(z.string().regex(/^\d{4}$/), yearTargetSchema)

interface TargetsCtx {
  db: DbOrTx
  config: Pick<Config, 'yearTargets'>
}

const cache = createSettingCache<{ stored: YearTargets; merged: YearTargets }>(5_000)

async function loadTargets(ctx: TargetsCtx, forUpdate = false) {
  const raw = await readSetting(ctx.db, yearTargetsKey, forUpdate)
  // A row that no longer parses (edited by hand) is ignored, not fatal: the env's targets still apply.
  const parsed = raw === undefined ? undefined : storedSchema.safeParse(raw)
  const stored: YearTargets = parsed?.success ? parsed.data : {}
  return { stored, merged: { ...ctx.config.yearTargets, ...stored } }
}

/** Every year's targets: those stored in the database, over YEAR_TARGETS (or its default) for the rest. */
export async function getYearTargets(ctx: TargetsCtx): Promise<YearTargets> {
  return (await cache.get(ctx.config, () => loadTargets(ctx))).merged
}

/** The targets by year, each with where it comes from: the database or the environment. */
export async function listYearTargets(ctx: TargetsCtx) {
  const { stored, merged } = await loadTargets(ctx)
  return Object.entries(merged)
    .map(([year, target]) => ({ year: Number(year), ...target, stored: year in stored }))
    .sort((a, b) => b.year - a.year)
}

/** Sets one year's targets in the database (admins; audited). Other years are kept. */
export async function setYearTargets(
  ctx: TargetsCtx & { clock: Clock },
  actor: Actor & { kind: 'staff' },
  input: { year: unknown } & Record<string, unknown>,
) {
  assertRole(actor.staff, [])
  const year = targetYearSchema.safeParse(input.year)
  if (!year.success) throw invalid('settings.bad_year', year.error.issues[0]!.message, { fields: ['year'] })
  const { year: _year, ...fields } = input
  const parsed = yearTargetSchema.safeParse(fields)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    throw invalid('settings.bad_target', issue.message, { fields: issue.path.map(String) })
  }
  const target = parsed.data
  const { stored, merged } = await loadTargets(ctx, true)
  const key = String(year.data)
  const before = merged[key] ?? null
  const now = ctx.clock.now()
  await writeSetting(ctx.db, yearTargetsKey, { ...stored, [key]: target }, now)
  await recordAudit(ctx.db, {
    actor,
    action: 'settings.year_targets',
    entity: 'settings',
    entityId: `${yearTargetsKey}:${key}`,
    before,
    after: target,
    at: now,
  })
  cache.forget(ctx.config)
  return { year: year.data, ...target }
}

/** Forget this app's copy of the targets (after the change that set them has committed). */
export const forgetYearTargets = (config: object) => cache.forget(config)
