import { asc } from 'drizzle-orm'
import { z } from 'zod'
import type { Config } from '../config'
import type { DbOrTx } from '../db/client'
import { botAccounts } from '../db/schema'
import { type AccountPuppet, envPuppet, sessionName } from './puppet'

export type AccountRow = typeof botAccounts.$inferSelect

/**
 * What a process does with one account: run it (with its puppet), or not, and why (its credentials are
 * missing, it is unknown, it is disabled). `signature` changes when anything that needs a restart changes.
 */
export type AccountPlan =
  | { name: string; kind: 'run'; puppet: AccountPuppet; signature: string }
  | {
      name: string
      kind: 'idle'
      puppet: string
      state: 'misconfigured' | 'stopped'
      detail: string
      signature: string
    }

/** The puppets a real account can run on (the mock lives only in the sandbox). */
const RealPuppet = z.enum(['wechaty-puppet-service', 'wechaty-puppet-wechat4u'])
/** A token from the environment: anything but blank. */
const Token = z.string().trim().min(1)

/** The accounts of bot_accounts, by name. */
export async function readAccountRows(db: DbOrTx): Promise<AccountRow[]> {
  return db.select().from(botAccounts).orderBy(asc(botAccounts.name))
}

/**
 * Which accounts this process runs and how (config.bot.accounts against bot_accounts): `*` is every
 * enabled row; a listed name runs by its row. A name with no row runs on today's env (WECHATY_PUPPET,
 * WECHATY_PUPPET_SERVICE_*) when it is BOT_ACCOUNT or the only one listed, so a one-account deployment
 * needs no row; any other unknown name, a row whose token variable is unset, or a puppet a real account
 * cannot run, is `misconfigured`, said in words an admin can act on.
 */
export function planAccounts(
  config: Config,
  rows: AccountRow[],
  env: Record<string, string | undefined>,
): AccountPlan[] {
  const byName = new Map(rows.map((row) => [row.name, row]))
  const listed = config.bot.accounts
  const names = listed === '*' ? rows.filter((row) => row.enabled).map((row) => row.name) : listed
  return names.map((name): AccountPlan => {
    const row = byName.get(name)
    if (!row) {
      if (listed !== '*' && (name === config.bot.account || listed.length === 1))
        return run(name, envPuppet(config, name))
      return idle(
        name,
        config.puppet,
        'misconfigured',
        `账号 ${name} 不在机器人账号表中：请管理员先在后台「机器人账号」添加它，或从 BOT_ACCOUNTS 中去掉`,
      )
    }
    if (!row.enabled) return idle(name, row.puppet, 'stopped', `账号 ${name} 已停用`)
    const puppet = RealPuppet.safeParse(row.puppet)
    if (!puppet.success) {
      return idle(
        name,
        row.puppet,
        'misconfigured',
        `账号 ${name} 的 puppet「${row.puppet}」不能用于真实账号：请改为 wechaty-puppet-service 或 wechaty-puppet-wechat4u`,
      )
    }
    const base = {
      puppet: puppet.data,
      sessionName: sessionName(config, name),
      endpoint: row.endpoint ?? config.puppetServiceEndpoint,
      noTls: config.puppetServiceNoTls,
    }
    if (puppet.data !== 'wechaty-puppet-service') return run(name, base)
    if (!row.tokenEnv) {
      return idle(
        name,
        row.puppet,
        'misconfigured',
        `账号 ${name} 没有填写令牌所在的环境变量名：请管理员在后台「机器人账号」中填写（如 GAIZAO_ACCOUNT_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_TOKEN）`,
      )
    }
    const token = Token.safeParse(env[row.tokenEnv])
    if (!token.success) {
      return idle(
        name,
        row.puppet,
        'misconfigured',
        `环境变量 ${row.tokenEnv} 未设置：账号 ${name} 的令牌放在这个变量里，请在运行该账号的机器人进程环境中设置它并重启进程`,
      )
    }
    return run(name, { ...base, token: token.data })
  })
}

const run = (name: string, puppet: AccountPuppet): AccountPlan => ({
  name,
  kind: 'run',
  puppet,
  signature: JSON.stringify(['run', puppet]),
})

const idle = (
  name: string,
  puppet: string,
  state: 'misconfigured' | 'stopped',
  detail: string,
): AccountPlan => ({
  name,
  kind: 'idle',
  puppet,
  state,
  detail,
  signature: JSON.stringify(['idle', puppet, state, detail]),
})
