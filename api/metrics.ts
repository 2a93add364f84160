import { sql } from 'drizzle-orm'
import { Hono } from 'hono'
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client'
import type { Bot } from '../bot/bot'
import { accountsOverview, countUnreachable } from '../core/accounts/bot-health'
import type { Deps } from '../core/shared/deps'
import { rowsOf } from '../db/client'
import { type BotView, liveStatuses } from './routes/bot.routes'

/** Process metrics (memory, CPU, event loop lag) are per process: collected once, whatever the app count. */
let processRegistry: Registry | undefined
function processMetrics() {
  if (!processRegistry) {
    processRegistry = new Registry()
    collectDefaultMetrics({ register: processRegistry, prefix: 'gaizao_' })
  }
  return processRegistry
}

/** Inbound messages the database could not take: waiting on disk, spooled in all, lost (full, unwritable, refused). */
function registerInboundSpoolMetrics(registry: Registry, bot?: Partial<Pick<Bot, 'inboundSpool'>>) {
  const stats = () => bot?.inboundSpool?.()
  new Gauge({
    name: 'gaizao_inbound_spooled',
    help: 'Inbound messages waiting in the on-disk spool for the database',
    registers: [registry],
    collect() {
      this.set(stats()?.waiting ?? 0)
    },
  })
  new Gauge({
    name: 'gaizao_inbound_spool_bytes',
    help: 'Bytes the inbound spool holds on disk',
    registers: [registry],
    collect() {
      this.set(stats()?.bytes ?? 0)
    },
  })
  new Counter({
    name: 'gaizao_inbound_spool_total',
    help: 'Inbound messages spooled since the process started',
    registers: [registry],
    collect() {
      this.reset()
      this.inc(stats()?.spooled ?? 0)
    },
  })
  new Counter({
    name: 'gaizao_inbound_spool_dropped_total',
    help: 'Inbound messages lost: spool full, spool unwritable, or set aside because the database refuses them',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      this.reset()
      for (const [reason, n] of Object.entries(stats()?.dropped ?? { full: 0, unwritable: 0, rejected: 0 })) {
        this.inc({ reason }, n)
      }
    },
  })
}

/**
 * Each bot account as the database knows it (whatever process runs it, this one or another): up or not,
 * messages waiting for it, and the conversations no enabled account reaches. One read per scrape serves
 * the gauges that share it (prom-client collects them at once).
 */
function registerAccountMetrics(
  registry: Registry,
  deps: Pick<Deps, 'db' | 'config'>,
  bot: BotView | undefined,
) {
  let shared: { at: number; read: ReturnType<typeof accountsOverview> } | undefined
  const overview = () => {
    if (!shared || Date.now() - shared.at > 1_000) {
      shared = {
        at: Date.now(),
        read: accountsOverview(deps.db, {
          leaseMs: deps.config.bot.leaseMs,
          // The accounts this process runs count as it sees them, fresher than the table.
          live: liveStatuses(bot, deps.config.bot.account),
        }),
      }
    }
    return shared.read
  }
  new Gauge({
    name: 'gaizao_bot_account_up',
    help: '1 when the bot account is online (reported by its process within two lease periods), else 0',
    labelNames: ['account'],
    registers: [registry],
    async collect() {
      this.reset()
      for (const a of await overview()) this.set({ account: a.name }, a.up ? 1 : 0)
    },
  })
  new Gauge({
    name: 'gaizao_bot_account_pending',
    help: 'Messages waiting (pending or being sent) to conversations routed to the bot account',
    labelNames: ['account'],
    registers: [registry],
    async collect() {
      this.reset()
      for (const a of await overview()) this.set({ account: a.name }, a.pending)
    },
  })
  new Gauge({
    name: 'gaizao_unreachable_conversations',
    help: 'Conversations with pending messages that no enabled bot account reaches',
    registers: [registry],
    async collect() {
      this.set(await countUnreachable(deps.db))
    },
  })
}

/**
 * `/metrics` in the Prometheus text format: the outbox by state, open requests and tasks (late or not),
 * deadlines due for a nudge, each job's last run and recent failures, whether the bot is logged in, and
 * the process. Only counts: no personal data.
 */
export function createMetricsRoutes(
  deps: Pick<Deps, 'db' | 'clock' | 'config'>,
  bot?: Pick<Bot, 'status'> & Partial<Pick<Bot, 'accounts' | 'inboundSpool'>>,
) {
  const registry = new Registry()
  const count = async (query: ReturnType<typeof sql>) =>
    rowsOf<Record<string, unknown>>(await deps.db.execute(query)).map(
      (r): Record<string, unknown> & { n: number } => ({ ...r, n: Number(r.n) }),
    )
  new Gauge({
    name: 'gaizao_outbox_messages',
    help: 'Outbox messages by state',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      this.reset()
      for (const r of await count(sql`select status, count(*)::int as n from outbox group by status`)) {
        this.set({ status: String(r.status) }, r.n)
      }
    },
  })
  new Gauge({
    name: 'gaizao_open_items',
    help: 'Open requests and tasks, late or on time',
    labelNames: ['kind', 'state'],
    registers: [registry],
    async collect() {
      this.reset()
      const now = deps.clock.now().toISOString()
      const rows = await count(sql`
        select 'request' as kind,
               case when (status = 'submitted' and response_due_at < ${now}::timestamptz)
                      or resolution_due_at < ${now}::timestamptz then 'overdue' else 'on_time' end as state,
               count(*)::int as n
        from requests where status in ('submitted', 'accepted') group by 2
        union all
        select 'task', case when due_at < ${now}::timestamptz then 'overdue' else 'on_time' end, count(*)::int
        from tasks where status = 'open' group by 2`)
      for (const r of rows) this.set({ kind: String(r.kind), state: String(r.state) }, r.n)
    },
  })
  new Gauge({
    name: 'gaizao_nudges_due',
    help: 'Deadlines whose next nudge has come and not yet been sent',
    registers: [registry],
    async collect() {
      const now = deps.clock.now().toISOString()
      const [r] = await count(
        sql`select count(*)::int as n from watches where next_at <= ${now}::timestamptz`,
      )
      this.set(r?.n ?? 0)
    },
  })
  const jobs = new Gauge({
    name: 'gaizao_job_last_run_timestamp_seconds',
    help: 'When each scheduled job last finished',
    labelNames: ['job'],
    registers: [registry],
  })
  new Gauge({
    name: 'gaizao_job_failures_24h',
    help: 'Failed runs of each scheduled job in the last 24 hours',
    labelNames: ['job'],
    registers: [registry],
    async collect() {
      this.reset()
      jobs.reset()
      const since = new Date(deps.clock.now().getTime() - 86_400_000).toISOString()
      const rows = await count(sql`
        select job, extract(epoch from max(finished_at))::float8 as last,
               count(*) filter (where error is not null and started_at >= ${since}::timestamptz)::int as n
        from job_runs group by job`)
      for (const r of rows) {
        this.set({ job: String(r.job) }, r.n)
        if (r.last !== null) jobs.set({ job: String(r.job) }, Number(r.last))
      }
    },
  })
  new Gauge({
    name: 'gaizao_bot_logged_in',
    help: '1 when the bot is logged in to WeChat',
    registers: [registry],
    collect() {
      this.set(bot?.status().loggedIn ? 1 : 0)
    },
  })
  new Gauge({
    name: 'gaizao_bot_state',
    help: "1 for the bot's current connection state (online, connecting, offline, scan, waiting_lease, stopped)",
    labelNames: ['state'],
    registers: [registry],
    collect() {
      this.reset()
      const status = bot?.status()
      if (status) this.set({ state: status.state }, 1)
    },
  })
  new Gauge({
    name: 'gaizao_groups',
    help: 'WeChat groups by state: active, unbound by staff, left by the bot',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      this.reset()
      for (const r of await count(sql`select state, count(*)::int as n from chat_groups group by state`)) {
        this.set({ state: String(r.state) }, r.n)
      }
    },
  })
  new Gauge({
    name: 'gaizao_identity_issues_open',
    help: 'Groups and staff a login with new ids could not match, waiting for an admin',
    registers: [registry],
    async collect() {
      const [r] = await count(sql`select count(*)::int as n from identity_issues where resolved_at is null`)
      this.set(r?.n ?? 0)
    },
  })
  registerAccountMetrics(registry, deps, bot)
  registerInboundSpoolMetrics(registry, bot)
  const merged = Registry.merge([processMetrics(), registry])
  return new Hono().get('/', async (c) =>
    c.text(await merged.metrics(), 200, { 'content-type': merged.contentType }),
  )
}
