import { z } from 'zod'
import { type LocalRules, localRulesSchema } from './core/consent/rules'
import { defaultTaskTemplates, type TaskTemplates, taskTemplatesSchema } from './core/projects/stages'
import { defaultSlaConfig, type SlaConfig, slaConfigSchema } from './core/sla/deadlines'

const boolFromEnv = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((value) => value === 'true' || value === '1' || value === 'yes')

const jsonFromEnv = <T extends z.ZodType>(schema: T) =>
  z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown
      } catch {
        ctx.addIssue({ code: 'custom', message: 'is not valid JSON' })
        return z.NEVER
      }
    })
    .pipe(schema)

export const puppetNames = [
  'sandbox',
  'wechaty-puppet-mock',
  'wechaty-puppet-wechat4u',
  'wechaty-puppet-service',
] as const

export const roles = ['all', 'api', 'bot', 'jobs'] as const

const accountName = /^[\w.-]{1,64}$/

const envSchema = z.object({
  ROLE: z
    .enum(roles, {
      error:
        'must be all (one process, the default), api (HTTP API and console), bot (the bot accounts) or jobs (scheduled jobs)',
    })
    .default('all'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://')
    .optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  DATABASE_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(0).max(3_600_000).default(30_000),
  DATABASE_CONNECT_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(300).default(5),
  WECHATY_PUPPET: z.enum(puppetNames).default('sandbox'),
  WECHATY_PUPPET_SERVICE_TOKEN: z.string().min(1).optional(),
  WECHATY_PUPPET_SERVICE_ENDPOINT: z.string().min(1).optional(),
  WECHATY_PUPPET_SERVICE_NO_TLS_INSECURE_CLIENT: boolFromEnv.optional(),
  BOT_NAME: z.string().min(1).max(32).default('改造助手'),
  BOT_ACCOUNT: z.string().regex(accountName, 'letters, digits, _ . - only (at most 64)').default('default'),
  BOT_ACCOUNTS: z
    .string()
    .regex(
      /^\s*(\*|[\w.-]{1,64}(\s*,\s*[\w.-]{1,64})*)\s*$/,
      'must be account names separated by commas (letters, digits, _ . - only, at most 64 each), or * for every enabled account',
    )
    .transform((text): string[] | '*' =>
      text.trim() === '*' ? '*' : text.split(',').map((name) => name.trim()),
    )
    .refine(
      (names) => names === '*' || new Set(names).size === names.length,
      'names an account twice: each account runs once',
    )
    .optional(),
  ACCOUNT_FAILOVER_MINUTES: z.coerce
    .number({ error: 'must be a whole number of minutes from 1 to 1440' })
    .int('must be a whole number of minutes from 1 to 1440')
    .min(1, 'must be a whole number of minutes from 1 to 1440')
    .max(1_440, 'must be a whole number of minutes from 1 to 1440')
    .default(10),
  BOT_LEASE_SECONDS: z.coerce.number().int().min(5).max(600).default(30),
  BOT_RECONNECT_MAX_SECONDS: z.coerce.number().int().min(1).max(600).default(15),
  BOT_EXIT_AFTER_MINUTES: z.coerce.number().int().min(0).max(100_000).default(0),
  BOT_ACCEPT_INVITES: z.enum(['staff', 'all', 'none']).default('staff'),
  BOT_ACCEPT_FRIENDS: z.enum(['all', 'keyword', 'none']).default('all'),
  BOT_FRIEND_KEYWORD: z.string().min(1).max(64).optional(),
  BOT_FRIENDS_PER_HOUR: z.coerce.number().int().min(1).max(10_000).default(30),
  BOT_WELCOME_NEW_MEMBERS: boolFromEnv.default(false),
  ALERT_WEBHOOK_URL: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).optional(),
  ALERT_AFTER_MINUTES: z.coerce.number().int().min(1).max(1_440).default(5),
  GAIZAO_ADMIN_TOKEN: z
    .string()
    .min(
      32,
      'must be at least 32 characters (e.g. `openssl rand -base64 32`), or unset to have one generated',
    )
    .optional(),
  GAIZAO_TOKEN_SECRET: z
    .string()
    .min(32, 'must be at least 32 characters (e.g. `openssl rand -base64 32`)')
    .optional(),
  METRICS_TOKEN: z
    .string()
    .min(
      32,
      'must be at least 32 characters (e.g. `openssl rand -hex 32`), or unset for loopback-only /metrics',
    )
    .optional(),
  TRUST_PROXY: z
    .string()
    .regex(/^(true|false|yes|no|\d)$/, 'must be true, false, or the number of proxies in front (0-9)')
    .transform((v) => (v === 'true' || v === 'yes' ? 1 : v === 'false' || v === 'no' ? 0 : Number(v)))
    .default(0),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  SANDBOX_SEED: boolFromEnv.default(true),
  SEND_MIN_GAP_MS: z.coerce.number().int().min(0).optional(),
  SEND_RATE_PER_MINUTE: z.coerce.number().int().min(0).optional(),
  SEND_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(8),
  SEND_RETRY_BASE_MS: z.coerce.number().int().min(0).default(5_000),
  OUTBOX_POLL_MS: z.coerce.number().int().min(10).default(1_000),
  SEND_DAILY_CAP: z.coerce.number().int().min(0).optional(),
  SEND_LEASE_MS: z.coerce.number().int().min(100).max(3_600_000).default(60_000),
  SEND_JITTER_MS: z.coerce.number().int().min(0).max(600_000).optional(),
  SEND_MAX_CHARS: z.coerce.number().int().min(100).max(10_000).default(1_800),
  QUIET_HOURS: z
    .string()
    .regex(/^(off|([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d)$/, 'must look like 22:00-07:00, or off')
    .optional(),
  SLA_CONFIG: jsonFromEnv(slaConfigSchema).optional(),
  BIND_CODE_TTL_MINUTES: z.coerce
    .number()
    .int()
    .min(1)
    .default(60 * 24),
  PUBLICITY_MIN_DAYS: z.coerce.number().int().min(1).max(90).default(7),
  ATTACHMENT_MAX_MB: z.coerce.number().positive().max(100).default(10),
  INBOUND_SPOOL_MAX_MESSAGES: z.coerce.number().int().min(1).max(1_000_000).default(10_000),
  INBOUND_SPOOL_MAX_MB: z.coerce.number().positive().max(100_000).default(256),
  NUDGE_SUPERVISOR_AFTER_DAYS: z.coerce.number().int().min(0).max(60).default(1),
  NUDGE_LEADERS_AFTER_DAYS: z.coerce.number().int().min(0).max(60).default(5),
  NUDGE_REMIND_BEFORE_HOURS: jsonFromEnv(
    z.record(
      z.string().min(1),
      z
        .number()
        .positive('hours must be greater than 0')
        .max(24 * 60),
    ),
  ).optional(),
  TASK_TEMPLATES: jsonFromEnv(taskTemplatesSchema).optional(),
  CONSENT_LOCAL_RULES: jsonFromEnv(localRulesSchema).optional(),
  YEAR_TARGETS: jsonFromEnv(
    z.record(
      z.string().regex(/^\d{4}$/, 'keys must be years like "2026"'),
      z
        .object({
          started: z.number().int().min(0),
          completed: z.number().int().min(0),
          investmentYuan: z
            .string()
            .regex(/^\d{1,14}(\.\d{1,2})?$/, 'investmentYuan must be a decimal string in 元'),
        })
        .strict(),
    ),
  ).optional(),
  PHASE_EVE_TIME: z
    .string()
    .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must look like 18:00')
    .default('18:00'),
  FEE_REMINDER_DAYS: z
    .string()
    .regex(/^\d{1,3}(,\d{1,3})*$/, 'must be whole days before the deadline, like 7,3,1')
    .default('7,3,1'),
})

export type Role = (typeof roles)[number]

export interface Config {
  /**
   * What this process runs: `all` (everything, one process), `api` (HTTP API and console), `bot` (the bot
   * accounts, their senders and alerts) or `jobs` (the scheduled jobs). Several processes share one PostgreSQL.
   */
  role: Role
  port: number
  host: string
  databaseUrl: string | undefined
  dataDir: string
  databasePoolSize: number
  /** PostgreSQL cancels a statement running longer than this; 0 = never. */
  databaseStatementTimeoutMs: number
  /** How long opening a PostgreSQL connection may take. */
  databaseConnectTimeoutSeconds: number
  puppet: (typeof puppetNames)[number]
  puppetServiceToken: string | undefined
  puppetServiceEndpoint: string | undefined
  puppetServiceNoTls: boolean
  botName: string
  bot: {
    /** The account's name for its lease: one process per account. */
    account: string
    /** The accounts this process runs (BOT_ACCOUNTS), or '*' = every enabled row of bot_accounts. */
    accounts: string[] | '*'
    /** A conversation whose account has been down this long moves to another account that reaches it. */
    failoverAfterMs: number
    leaseMs: number
    /** The longest pause between two reconnection attempts. */
    reconnectMaxMs: number
    /** Exit non-zero after this long without a login, so a supervisor restarts the process; 0 = never. */
    exitAfterMs: number
    /** Group invitations: from bound staff only, from anyone, or never. */
    acceptInvites: 'staff' | 'all' | 'none'
    /** Friend requests: all, only those whose hello has the keyword, or none. */
    acceptFriends: 'all' | 'keyword' | 'none'
    friendKeyword: string | undefined
    /** Friend requests accepted per hour at most; the rest wait for the next request. */
    friendsPerHour: number
    /** Greet each new member of a bound group once with how to file a request. */
    welcomeNewMembers: boolean
  }
  alerts: {
    /** WeCom group-robot webhook (or any receiver of `{"msgtype":"text","text":{"content":…}}`). */
    webhookUrl: string | undefined
    /** How long the bot may be down before operators are alerted. */
    afterMs: number
  }
  adminToken: string | undefined
  /** The HMAC key for staff tokens; unset = kept in `${dataDir}/token-secret` (see core/shared/tokens.ts). */
  tokenSecret: string | undefined
  /** Bearer token for /metrics; unset = /metrics answers loopback clients only. */
  metricsToken: string | undefined
  /** Reverse proxies in front whose X-Forwarded-For is believed (0 = none: the socket's address counts). */
  trustProxy: number
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent'
  sandboxSeed: boolean
  send: {
    minGapMs: number
    ratePerMinute: number
    dailyCap: number
    jitterMs: number
    maxChars: number
    /** Minutes after Shanghai midnight; normal-priority messages wait while inside. */
    quietHours: { from: number; to: number } | null
    maxAttempts: number
    retryBaseMs: number
    pollMs: number
    /** How long a claimed message may take before its sender is presumed dead. */
    leaseMs: number
  }
  sla: SlaConfig
  bindCodeTtlMinutes: number
  /** 公示期: the shortest publicity period allowed, in days. */
  publicityMinDays: number
  /** The nudge ladder, in working days: owner at the deadline, supervisor after this, leaders after that. */
  nudges: {
    supervisorAfterDays: number
    leadersAfterDays: number
    /** Per request category: hours before the resolution deadline when the holder is reminded. */
    remindBeforeHours: Record<string, number>
  }
  /** Tasks each project stage creates; the env replaces the list of any stage it names. */
  taskTemplates: TaskTemplates
  /** Named consent rules stricter than the Civil Code that a campaign may choose. */
  consentLocalRules: LocalRules
  /**
   * The year's targets (work plan 一(一)): projects started and completed, fixed-asset investment in 元. Only the
   * fallback: targets an admin sets in /console/settings are stored in the database and win (core/settings).
   */
  yearTargets: Record<string, { started: number; completed: number; investmentYuan: string }>
  /** The largest file a notice may carry, in bytes. */
  attachmentMaxBytes: number
  /** Inbound messages kept on disk while the database cannot take them; past either bound new ones are refused. */
  inboundSpool: { maxMessages: number; maxBytes: number }
  /** Shanghai time on the day before a construction phase when its reminder goes out, as hour and minute. */
  phaseEve: { hour: number; minute: number }
  /** Days before a fee deadline on which a reminder goes out (at 09:00 Shanghai). */
  feeReminderDays: number[]
}

export class ConfigError extends Error {}

/** Parses the environment once; a bad value throws a ConfigError naming the variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const cleaned = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  )
  const parsed = envSchema.safeParse(cleaned)
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.') || '(env)'}: ${issue.message}`)
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`)
  }
  const e = parsed.data
  const isSandbox = e.WECHATY_PUPPET === 'sandbox' || e.WECHATY_PUPPET === 'wechaty-puppet-mock'
  if (isSandbox && e.ROLE !== 'all') {
    // The simulated WeChat (and what it has said) lives in one process's memory: an API process could not
    // show what a bot process sent, nor a bot process hear what the sandbox page typed.
    throw new ConfigError(
      `Invalid configuration:\n  ROLE: ${e.ROLE} needs a real puppet (WECHATY_PUPPET=wechaty-puppet-service or wechaty-puppet-wechat4u); ${e.WECHATY_PUPPET} simulates WeChat inside one process, so it runs with ROLE=all only`,
    )
  }
  if (e.ROLE !== 'all' && !e.GAIZAO_TOKEN_SECRET) {
    // Each process would otherwise make its own key in its own DATA_DIR, and a token one API replica issued
    // would not be recognised by the next.
    throw new ConfigError(
      `Invalid configuration:\n  GAIZAO_TOKEN_SECRET: required with ROLE=${e.ROLE}: every process sharing the database must hash staff tokens with the same key (32+ characters, e.g. \`openssl rand -base64 32\`)`,
    )
  }
  // Only a process running the bot needs a token, and with BOT_ACCOUNTS each account's comes from the
  // variable its bot_accounts row names (an account without one is shown as misconfigured, not a crash).
  const runsBot = e.ROLE === 'all' || e.ROLE === 'bot'
  if (
    e.WECHATY_PUPPET === 'wechaty-puppet-service' &&
    !e.WECHATY_PUPPET_SERVICE_TOKEN &&
    runsBot &&
    !e.BOT_ACCOUNTS
  ) {
    throw new ConfigError(
      'Invalid configuration:\n  WECHATY_PUPPET_SERVICE_TOKEN: required when WECHATY_PUPPET=wechaty-puppet-service',
    )
  }
  if (e.BOT_ACCEPT_FRIENDS === 'keyword' && !e.BOT_FRIEND_KEYWORD) {
    throw new ConfigError(
      'Invalid configuration:\n  BOT_FRIEND_KEYWORD: required when BOT_ACCEPT_FRIENDS=keyword',
    )
  }
  return {
    role: e.ROLE,
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    dataDir: e.DATA_DIR,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    databaseStatementTimeoutMs: e.DATABASE_STATEMENT_TIMEOUT_MS,
    databaseConnectTimeoutSeconds: e.DATABASE_CONNECT_TIMEOUT_SECONDS,
    puppet: e.WECHATY_PUPPET,
    puppetServiceToken: e.WECHATY_PUPPET_SERVICE_TOKEN,
    puppetServiceEndpoint: e.WECHATY_PUPPET_SERVICE_ENDPOINT,
    puppetServiceNoTls: e.WECHATY_PUPPET_SERVICE_NO_TLS_INSECURE_CLIENT ?? false,
    botName: e.BOT_NAME,
    bot: {
      account: e.BOT_ACCOUNT,
      accounts: e.BOT_ACCOUNTS ?? [e.BOT_ACCOUNT],
      failoverAfterMs: e.ACCOUNT_FAILOVER_MINUTES * 60_000,
      leaseMs: e.BOT_LEASE_SECONDS * 1_000,
      reconnectMaxMs: e.BOT_RECONNECT_MAX_SECONDS * 1_000,
      exitAfterMs: e.BOT_EXIT_AFTER_MINUTES * 60_000,
      acceptInvites: e.BOT_ACCEPT_INVITES,
      acceptFriends: e.BOT_ACCEPT_FRIENDS,
      friendKeyword: e.BOT_FRIEND_KEYWORD,
      friendsPerHour: e.BOT_FRIENDS_PER_HOUR,
      welcomeNewMembers: e.BOT_WELCOME_NEW_MEMBERS,
    },
    alerts: { webhookUrl: e.ALERT_WEBHOOK_URL, afterMs: e.ALERT_AFTER_MINUTES * 60_000 },
    adminToken: e.GAIZAO_ADMIN_TOKEN,
    tokenSecret: e.GAIZAO_TOKEN_SECRET,
    metricsToken: e.METRICS_TOKEN,
    trustProxy: e.TRUST_PROXY,
    logLevel: e.LOG_LEVEL,
    sandboxSeed: e.SANDBOX_SEED,
    send: {
      // The sandbox talks to no real account, so it need not be paced; real accounts get banned without it.
      minGapMs: e.SEND_MIN_GAP_MS ?? (isSandbox ? 0 : 3_000),
      ratePerMinute: e.SEND_RATE_PER_MINUTE ?? (isSandbox ? 0 : 20),
      dailyCap: e.SEND_DAILY_CAP ?? (isSandbox ? 0 : 1_500),
      jitterMs: e.SEND_JITTER_MS ?? (isSandbox ? 0 : 2_000),
      maxChars: e.SEND_MAX_CHARS,
      quietHours: parseQuietHours(e.QUIET_HOURS ?? (isSandbox ? 'off' : '22:00-07:00')),
      maxAttempts: e.SEND_MAX_ATTEMPTS,
      retryBaseMs: e.SEND_RETRY_BASE_MS,
      pollMs: e.OUTBOX_POLL_MS,
      leaseMs: e.SEND_LEASE_MS,
    },
    sla: e.SLA_CONFIG ?? defaultSlaConfig,
    bindCodeTtlMinutes: e.BIND_CODE_TTL_MINUTES,
    publicityMinDays: e.PUBLICITY_MIN_DAYS,
    attachmentMaxBytes: Math.round(e.ATTACHMENT_MAX_MB * 1024 * 1024),
    inboundSpool: {
      maxMessages: e.INBOUND_SPOOL_MAX_MESSAGES,
      maxBytes: Math.round(e.INBOUND_SPOOL_MAX_MB * 1024 * 1024),
    },
    nudges: {
      supervisorAfterDays: e.NUDGE_SUPERVISOR_AFTER_DAYS,
      leadersAfterDays: e.NUDGE_LEADERS_AFTER_DAYS,
      remindBeforeHours: e.NUDGE_REMIND_BEFORE_HOURS ?? {},
    },
    taskTemplates: { ...defaultTaskTemplates, ...e.TASK_TEMPLATES },
    consentLocalRules: e.CONSENT_LOCAL_RULES ?? {},
    // Beijing 2020: 80 started, 50 completed, 12.8亿元 fixed-asset investment.
    yearTargets: e.YEAR_TARGETS ?? { '2020': { started: 80, completed: 50, investmentYuan: '1280000000' } },
    phaseEve: { hour: Number(e.PHASE_EVE_TIME.slice(0, 2)), minute: Number(e.PHASE_EVE_TIME.slice(3)) },
    feeReminderDays: [...new Set(e.FEE_REMINDER_DAYS.split(',').map(Number))]
      .filter((d) => d > 0)
      .sort((a, b) => b - a),
  }
}

function parseQuietHours(value: string) {
  if (value === 'off') return null
  const [from, to] = value.split('-').map((hm) => {
    const [h, m] = hm.split(':').map(Number)
    return h! * 60 + m!
  })
  return from === to ? null : { from: from!, to: to! }
}
