// 机器人账号: the WeChat accounts the bot speaks through, managed by admins (issue 15, city scale).
import { asc, eq, sql } from 'drizzle-orm'
import { z } from 'zod'
import { puppetNames } from '../../config'
import { type DbOrTx, rowsOf } from '../../db/client'
import { botAccounts, botLeases } from '../../db/schema'
import { recordAudit } from '../audit/audit'
import { type Actor, assertRole } from '../shared/actor'
import type { Clock } from '../shared/clock'
import { conflict, invalid, notFound } from '../shared/errors'

type StaffActor = Actor & { kind: 'staff' }
type Ctx = { db: DbOrTx; clock: Clock }
export type BotAccountRow = typeof botAccounts.$inferSelect

/** The puppets an account may use: the sandbox is one simulated account, never a row of its own. */
export const accountPuppets = puppetNames.filter(
  (p): p is Exclude<(typeof puppetNames)[number], 'sandbox'> => p !== 'sandbox',
)
export type AccountPuppet = (typeof accountPuppets)[number]

export const accountNamePattern = /^[\w.-]{1,64}$/
const tokenEnvPattern = /^[A-Z_][A-Z0-9_]{0,63}$/

export const tokenInVariableMessage =
  '这里填写的是存放令牌的环境变量的名称，不是令牌本身：请把令牌放进机器人进程的一个环境变量（如 GAIZAO_ACCOUNT_A_TOKEN），在这里填写该变量的名称。令牌不会保存在数据库中。'

/**
 * Whether a "variable name" is more likely a pasted token: puppet-service tokens are lowercase, often
 * long, with '-' or ':' (insecure_…, puppet_paimon_…, UUIDs), or a long run mixing letters and digits.
 */
export function looksLikeToken(value: string) {
  return (
    /[a-z]/.test(value) ||
    value.length > 64 ||
    /[-:/.=+]/.test(value) ||
    value.split('_').some((part) => part.length >= 16 && /\d/.test(part) && /[A-Z]/.test(part))
  )
}

const nameSchema = z.string({ error: '请填写账号标识，如 dongcheng-1。' }).trim().regex(accountNamePattern, {
  error: '账号标识只能用字母、数字和 _ . -，最长 64 个字符，如 dongcheng-1。',
})
const labelSchema = z
  .string({ error: '请填写账号名称，如「东城一号」。' })
  .trim()
  .min(1, { error: '请填写账号名称，如「东城一号」。' })
  .max(32, { error: '账号名称不超过 32 个字。' })
const puppetSchema = z.enum(accountPuppets as unknown as [AccountPuppet, ...AccountPuppet[]], {
  error: `接入方式应为以下之一：${accountPuppets.join('、')}（沙盒不需要账号）。`,
})
/** Blank clears: the field is optional in every form. */
const blankToNull = (value: unknown) =>
  typeof value === 'string' && value.trim() === '' ? null : typeof value === 'string' ? value.trim() : value
const endpointSchema = z.preprocess(
  blankToNull,
  z
    .string({ error: '网关地址应为文字，如 gateway.example.cn:8788。' })
    .regex(/^\S{1,200}$/, { error: '网关地址不含空格，最长 200 个字符，如 gateway.example.cn:8788。' })
    .nullable(),
)
const tokenEnvSchema = z.preprocess(
  blankToNull,
  z
    .string({ error: '令牌环境变量应为变量名，如 GAIZAO_ACCOUNT_A_TOKEN。' })
    .superRefine((value, ctx) => {
      // A token pasted here is refused with its own message, and never echoed back or stored.
      if (looksLikeToken(value)) ctx.addIssue({ code: 'custom', message: tokenInVariableMessage })
      else if (!tokenEnvPattern.test(value)) {
        ctx.addIssue({
          code: 'custom',
          message:
            '环境变量名称只能用大写字母、数字和下划线，且不以数字开头，最长 64 个字符，如 GAIZAO_ACCOUNT_A_TOKEN。',
        })
      }
    })
    .nullable(),
)
const enabledSchema = z.boolean({ error: '是否启用应为 true 或 false。' })

export const newBotAccountSchema = z.object({
  name: nameSchema,
  label: labelSchema,
  puppet: puppetSchema,
  endpoint: endpointSchema.optional(),
  tokenEnv: tokenEnvSchema.optional(),
  enabled: enabledSchema.optional(),
})
export type NewBotAccount = z.input<typeof newBotAccountSchema>

export const botAccountPatchSchema = z.object({
  label: labelSchema.optional(),
  puppet: puppetSchema.optional(),
  endpoint: endpointSchema.optional(),
  tokenEnv: tokenEnvSchema.optional(),
  enabled: enabledSchema.optional(),
})
export type BotAccountPatch = z.input<typeof botAccountPatchSchema>

/** Parses with the schema; the first problem is the message (Chinese), all of them the details. */
function parse<T>(schema: z.ZodType<T>, input: unknown): T {
  const result = schema.safeParse(input)
  if (result.success) return result.data
  const fields = result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }))
  throw invalid('bot_accounts.invalid', fields[0]?.message ?? '账号信息不完整。', { fields })
}

/** What the audit keeps of an account: everything (no secret is stored), without the timestamps. */
const audited = (row: BotAccountRow) => ({
  label: row.label,
  puppet: row.puppet,
  endpoint: row.endpoint,
  tokenEnv: row.tokenEnv,
  enabled: row.enabled,
})

const accountNotFound = (name: string) =>
  notFound('bot_accounts.not_found', `没有标识为 ${name.slice(0, 64)} 的机器人账号。`)

export async function listBotAccounts(db: DbOrTx) {
  return db.select().from(botAccounts).orderBy(asc(botAccounts.name))
}

export async function getBotAccount(db: DbOrTx, name: string) {
  const [row] = await db.select().from(botAccounts).where(eq(botAccounts.name, name))
  return row
}

/** Adds an account (admins; audited). Its token stays in the bot process's environment, named here. */
export async function createBotAccount(ctx: Ctx, actor: StaffActor, input: unknown) {
  assertRole(actor.staff, [])
  const data = parse(newBotAccountSchema, input)
  const now = ctx.clock.now()
  const [row] = await ctx.db
    .insert(botAccounts)
    .values({
      name: data.name,
      label: data.label,
      puppet: data.puppet,
      endpoint: data.endpoint ?? null,
      tokenEnv: data.tokenEnv ?? null,
      enabled: data.enabled ?? true,
      createdAt: now,
      updatedAt: now,
    })
    .onConflictDoNothing()
    .returning()
  if (!row) {
    throw conflict('bot_accounts.exists', `账号 ${data.name} 已存在：请换一个标识，或修改已有的账号。`)
  }
  await recordAudit(ctx.db, {
    actor,
    action: 'bot_account.create',
    entity: 'bot_account',
    entityId: row.name,
    after: audited(row),
    at: now,
  })
  return row
}

/** Enabling and disabling are actions of their own in the audit log: they start and stop an account. */
const changeAction = (before: BotAccountRow, after: BotAccountRow) =>
  after.enabled === before.enabled
    ? 'bot_account.update'
    : after.enabled
      ? 'bot_account.enable'
      : 'bot_account.disable'

/** Changes an account's label, puppet, endpoint, token variable or whether it runs (admins; audited). */
export async function updateBotAccount(ctx: Ctx, actor: StaffActor, name: string, patch: unknown) {
  assertRole(actor.staff, [])
  const data = parse(botAccountPatchSchema, patch)
  const [before] = await ctx.db.select().from(botAccounts).where(eq(botAccounts.name, name)).for('update')
  if (!before) throw accountNotFound(name)
  const changes = Object.fromEntries(Object.entries(data).filter(([, v]) => v !== undefined))
  if (Object.keys(changes).length === 0) return before
  const now = ctx.clock.now()
  const [after] = await ctx.db
    .update(botAccounts)
    .set({ ...changes, updatedAt: now })
    .where(eq(botAccounts.name, name))
    .returning()
  await recordAudit(ctx.db, {
    actor,
    action: changeAction(before, after!),
    entity: 'bot_account',
    entityId: name,
    before: audited(before),
    after: audited(after!),
    at: now,
  })
  return after!
}

/**
 * Deletes an account that never mattered (a typo): one with conversations routed to it or messages it sent
 * stays, disabled, so the record of who said what keeps its name. Its reach, status and lapsed lease go too.
 */
export async function deleteBotAccount(ctx: Ctx, actor: StaffActor, name: string) {
  assertRole(actor.staff, [])
  const [before] = await ctx.db.select().from(botAccounts).where(eq(botAccounts.name, name)).for('update')
  if (!before) throw accountNotFound(name)
  const [use] = rowsOf<{ routes: number; sent: boolean }>(
    await ctx.db.execute(sql`
      select (select count(*)::int from conversation_routes where account = ${name}) as routes,
             exists (select 1 from outbox where status = 'sent' and sent_by = ${name}) as sent`),
  )
  if (use && (Number(use.routes) > 0 || use.sent)) {
    throw conflict(
      'bot_accounts.in_use',
      `账号 ${name} ${Number(use.routes) > 0 ? `有 ${use.routes} 个群或私聊分配给它` : '已发出过消息'}，不能删除（发送记录要保留账号）：请改为停用，停用后不再运行，也不再分配消息给它。`,
    )
  }
  const now = ctx.clock.now()
  const [lease] = await ctx.db.select().from(botLeases).where(eq(botLeases.account, name))
  if (lease && lease.expiresAt > now) {
    throw conflict(
      'bot_accounts.running',
      `账号 ${name} 正由进程 ${lease.holder} 运行：请先停用，等该进程放下账号后再删除。`,
    )
  }
  await ctx.db.execute(sql`delete from conversation_reach where account = ${name}`)
  await ctx.db.execute(sql`delete from bot_status where account = ${name}`)
  await ctx.db.execute(sql`delete from bot_leases where account = ${name}`)
  await ctx.db.delete(botAccounts).where(eq(botAccounts.name, name))
  await recordAudit(ctx.db, {
    actor,
    action: 'bot_account.delete',
    entity: 'bot_account',
    entityId: name,
    before: audited(before),
    at: now,
  })
  return before
}
