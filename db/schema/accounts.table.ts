import { boolean, index, pgTable, primaryKey, text } from 'drizzle-orm/pg-core'
import { createdAt, instant } from './columns'

/**
 * The WeChat accounts the bot speaks through (issue 15: a district needs several). `name` is the account's
 * key everywhere: its lease (`bot_leases.account`), the routes of its conversations, `outbox.sent_by`.
 * Credentials are never stored: `token_env` names the environment variable that holds the puppet token.
 */
export const botAccounts = pgTable('bot_accounts', {
  name: text('name').primaryKey(),
  /** Shown to admins: 如 "东城一号". */
  label: text('label').notNull(),
  /** wechaty-puppet-service, wechaty-puppet-wechat4u, wechaty-puppet-mock (config.ts puppetNames). */
  puppet: text('puppet').notNull(),
  /** The gateway's address (not a secret); null = the puppet's default (or WECHATY_PUPPET_SERVICE_ENDPOINT). */
  endpoint: text('endpoint'),
  /** The name of the environment variable holding the token, e.g. GAIZAO_ACCOUNT_A_TOKEN. */
  tokenEnv: text('token_env'),
  /** A disabled account is not run and nothing is routed to it. */
  enabled: boolean('enabled').notNull().default(true),
  createdAt: createdAt(),
  updatedAt: instant('updated_at').notNull().defaultNow(),
})

/**
 * Which accounts can reach a conversation (a group the account is in; a person who talks to it), learnt from
 * the room list at login, room events and messages. A row goes when the account leaves the group.
 */
export const conversationReach = pgTable(
  'conversation_reach',
  {
    conversationId: text('conversation_id').notNull(),
    account: text('account').notNull(),
    isRoom: boolean('is_room').notNull(),
    seenAt: instant('seen_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.conversationId, t.account] }),
    index('conversation_reach_account').on(t.account, t.conversationId),
  ],
)

/**
 * The one account that speaks in a conversation now, so a group hears one voice at one pace: set when the
 * conversation is first learnt, moved by failover (the account was down too long) or by an admin.
 */
export const conversationRoutes = pgTable(
  'conversation_routes',
  {
    conversationId: text('conversation_id').primaryKey(),
    account: text('account').notNull(),
    /** learnt | failover | admin */
    reason: text('reason').notNull(),
    since: instant('since').notNull(),
  },
  (t) => [index('conversation_routes_account').on(t.account, t.conversationId)],
)

/**
 * Each account's connection as its bot process last reported it, so the API and the console (perhaps in
 * another process) show every account: state, since when, why, the login QR while one waits.
 */
export const botStatus = pgTable('bot_status', {
  account: text('account').primaryKey(),
  /** The process reporting (host:pid:random), as in bot_leases.holder. */
  holder: text('holder').notNull(),
  /** misconfigured | waiting_lease | connecting | scan | online | offline | stopped (bot/bot.ts BotState). */
  state: text('state').notNull(),
  stateSince: instant('state_since').notNull(),
  detail: text('detail'),
  /** The login QR's value while state = scan. */
  qr: text('qr'),
  selfId: text('self_id'),
  selfName: text('self_name'),
  /** Written at every change and with each lease renewal: a stale row means a dead process. */
  reportedAt: instant('reported_at').notNull(),
})
