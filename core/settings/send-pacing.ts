import { z } from 'zod'
import type { Config } from '../../config'
import type { DbOrTx } from '../../db/client'
import { recordAudit } from '../audit/audit'
import { type Actor, assertRole } from '../shared/actor'
import type { Clock } from '../shared/clock'
import { invalid } from '../shared/errors'
import { createSettingCache, readSetting, writeSetting } from './settings.store'

/**
 * The sender's pacing, changeable at run time by admins: quiet hours, the gap per group, the rate a minute
 * and the daily cap. Stored values win over the environment's (QUIET_HOURS, SEND_MIN_GAP_MS,
 * SEND_RATE_PER_MINUTE, SEND_DAILY_CAP); every sender reads them within a few seconds of a change. Nothing
 * else about sending is run-time: the rest needs a restart.
 */
export type SendPacing = Pick<Config['send'], 'quietHours' | 'minGapMs' | 'ratePerMinute' | 'dailyCap'>

export const sendPacingKey = 'send_pacing'

const minuteOfDay = z.number().int().min(0).max(1439)
const storedSchema = z
  .object({
    quietHours: z.object({ from: minuteOfDay, to: minuteOfDay }).nullable(),
    minGapMs: z.number().int().min(0).max(3_600_000),
    ratePerMinute: z.number().int().min(0).max(600),
    dailyCap: z.number().int().min(0).max(100_000),
  })
  .partial()

type Ctx = { db: DbOrTx; config: Config }
const cache = createSettingCache<Partial<SendPacing>>(5_000)

async function loadStored(db: DbOrTx, forUpdate = false): Promise<Partial<SendPacing>> {
  const raw = await readSetting(db, sendPacingKey, forUpdate)
  // A row edited by hand into something else is ignored, not fatal: the environment's pacing applies.
  const parsed = raw === undefined ? undefined : storedSchema.safeParse(raw)
  return parsed?.success ? parsed.data : {}
}

/** The pacing in force: what admins stored over the environment's. Cached for a few seconds. */
export async function currentSendPacing(ctx: Ctx): Promise<SendPacing & { stored: (keyof SendPacing)[] }> {
  const stored = await cache.get(ctx.config, () => loadStored(ctx.db))
  const { quietHours, minGapMs, ratePerMinute, dailyCap } = ctx.config.send
  return {
    ...{ quietHours, minGapMs, ratePerMinute, dailyCap },
    ...stored,
    stored: Object.keys(stored) as (keyof SendPacing)[],
  }
}

const hhmm = /^([01]?\d|2[0-3])[:：]([0-5]\d)$/
const toMinutes = (text: string) => {
  const match = hhmm.exec(text.trim())
  return match ? Number(match[1]) * 60 + Number(match[2]) : undefined
}

/** What the console's form sends: text as typed; blank means "as the environment says". */
export interface SendPacingForm {
  quietFrom?: string
  quietTo?: string
  quietOff?: boolean
  minGapSeconds?: string
  ratePerMinute?: string
  dailyCap?: string
}

function whole(text: string | undefined, label: string, max: number, example: string) {
  if (text === undefined || text.trim() === '') return undefined
  if (!/^\d{1,9}$/.test(text.trim()) || Number(text) > max) {
    throw invalid(
      'settings.bad_pacing',
      `${label}应为 0 到 ${max} 之间的整数，如 ${example}；留空则按环境变量。`,
    )
  }
  return Number(text)
}

/** Reads the form into stored values (admins; audited). Blank fields go back to the environment's value. */
export async function setSendPacing(
  ctx: Ctx & { clock: Clock },
  actor: Actor & { kind: 'staff' },
  form: SendPacingForm,
) {
  assertRole(actor.staff, [])
  const next: Partial<SendPacing> = {}
  if (form.quietOff) next.quietHours = null
  else if (form.quietFrom?.trim() || form.quietTo?.trim()) {
    const from = toMinutes(form.quietFrom ?? '')
    const to = toMinutes(form.quietTo ?? '')
    if (from === undefined || to === undefined) {
      throw invalid(
        'settings.bad_quiet_hours',
        '免打扰时段请填写开始和结束时间，如 22:00 和 07:00；不需要请勾选“关闭”。',
      )
    }
    if (from === to) throw invalid('settings.bad_quiet_hours', '免打扰的开始和结束时间不能相同。')
    next.quietHours = { from, to }
  }
  const gapSeconds = whole(form.minGapSeconds, '同一群发送间隔（秒）', 3600, '3')
  if (gapSeconds !== undefined) next.minGapMs = gapSeconds * 1000
  const rate = whole(form.ratePerMinute, '每分钟最多发送', 600, '20')
  if (rate !== undefined) next.ratePerMinute = rate
  const cap = whole(form.dailyCap, '每日发送上限', 100_000, '3000')
  if (cap !== undefined) next.dailyCap = cap

  const before = await loadStored(ctx.db, true)
  const now = ctx.clock.now()
  await writeSetting(ctx.db, sendPacingKey, next, now)
  await recordAudit(ctx.db, {
    actor,
    action: 'settings.send_pacing',
    entity: 'settings',
    entityId: sendPacingKey,
    before,
    after: next,
    at: now,
  })
  cache.forget(ctx.config)
  return next
}

/** Forget this app's copy (after the change that set it has committed). */
export const forgetSendPacing = (config: object) => cache.forget(config)
