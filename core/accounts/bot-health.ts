import { and, count, desc, eq, gte, inArray, isNull, sql } from 'drizzle-orm'
import { type DbOrTx, rowsOf } from '../../db/client'
import { botLeases, chatGroups, identityIssues, outbox } from '../../db/schema'
import { escapeLike } from '../shared/like'

const week = 7 * 86_400_000

/** One thing an admin should know about the bot, newest first. */
export interface BotAlert {
  at: Date
  kind: 'group_left' | 'message_failed' | 'message_uncertain' | 'identity_issue'
  /** The group's topic, the staff member or group whose id was lost, … */
  subject: string
  detail: string | null
}

/**
 * What the bot has left on record: who holds the account, messages waiting or stuck, and the past week's
 * events that need an admin (groups it was removed from, messages that failed or may not have arrived, ids
 * lost at a new login).
 */
export async function botHealth(db: DbOrTx, now: Date) {
  const since = new Date(now.getTime() - week)
  const [leases, counts, stuck, left, issues] = await Promise.all([
    db.select().from(botLeases).orderBy(botLeases.account),
    db
      .select({ status: outbox.status, count: count() })
      .from(outbox)
      .where(inArray(outbox.status, ['pending', 'sending', 'uncertain', 'failed']))
      .groupBy(outbox.status),
    db
      .select({
        id: outbox.id,
        status: outbox.status,
        lastError: outbox.lastError,
        createdAt: outbox.createdAt,
        topic: chatGroups.topic,
        conversationId: outbox.conversationId,
      })
      .from(outbox)
      .leftJoin(chatGroups, eq(chatGroups.roomId, outbox.conversationId))
      .where(and(inArray(outbox.status, ['uncertain', 'failed']), gte(outbox.createdAt, since)))
      .orderBy(desc(outbox.id))
      .limit(20),
    db
      .select({ topic: chatGroups.topic, at: chatGroups.stateChangedAt })
      .from(chatGroups)
      .where(and(eq(chatGroups.state, 'left'), gte(chatGroups.stateChangedAt, since)))
      .orderBy(desc(chatGroups.stateChangedAt))
      .limit(20),
    db
      .select({
        kind: identityIssues.kind,
        oldWechatId: identityIssues.oldWechatId,
        createdAt: identityIssues.createdAt,
        candidates: sql<number>`jsonb_array_length(${identityIssues.candidates})`,
      })
      .from(identityIssues)
      .where(isNull(identityIssues.resolvedAt))
      .orderBy(desc(identityIssues.id))
      .limit(20),
  ])
  const alerts: BotAlert[] = [
    ...left.map((g) => ({ at: g.at ?? since, kind: 'group_left' as const, subject: g.topic, detail: null })),
    ...stuck.map((m) => ({
      at: m.createdAt,
      kind: m.status === 'failed' ? ('message_failed' as const) : ('message_uncertain' as const),
      subject: m.topic ?? m.conversationId,
      detail: m.lastError,
    })),
    ...issues.map((i) => ({
      at: i.createdAt,
      kind: 'identity_issue' as const,
      subject: `${i.kind === 'group' ? '群' : '工作人员'} ${i.oldWechatId}`,
      detail: Number(i.candidates) === 0 ? '没有候选' : `${Number(i.candidates)} 个候选`,
    })),
  ].sort((a, b) => b.at.getTime() - a.at.getTime())
  const waiting = Object.fromEntries(counts.map((c) => [c.status, Number(c.count)])) as Partial<
    Record<(typeof outbox.$inferSelect)['status'], number>
  >
  return { leases, waiting, alerts }
}

export type BotHealth = Awaited<ReturnType<typeof botHealth>>

// ----------------------------------------------------------------------------------------------------------
// Several accounts (issue 15): each one's state as its process reported it, and what it carries.

/** A reported status older than this many lease periods means no process is reporting for the account. */
const staleAfterLeases = 2

const dateOf = (value: unknown) => (value === null || value === undefined ? null : new Date(value as string))

/** An account's status as its bot process last wrote it to bot_status, with whether that is too old. */
export interface ReportedStatus {
  account: string
  /** bot_accounts' label, or the name when the account has no row (a BOT_ACCOUNT from the environment). */
  label: string
  /** bot_accounts' puppet; null when the account has no row. */
  puppet: string | null
  /** Has a row in bot_accounts. */
  registered: boolean
  enabled: boolean
  holder: string
  state: string
  since: Date
  detail: string | null
  qr: string | null
  selfId: string | null
  selfName: string | null
  reportedAt: Date
  /** Not reported for two lease periods (by the database's clock, which wrote it): its process is gone. */
  stale: boolean
}

interface StatusRaw {
  account: string
  label: string | null
  puppet: string | null
  enabled: boolean | null
  holder: string
  state: string
  state_since: unknown
  detail: string | null
  qr: string | null
  self_id: string | null
  self_name: string | null
  reported_at: unknown
  stale: boolean
}

/** What a process reported of an account (bot_status), as both the status list and the overview show it. */
const reportedOf = (r: StatusRaw) => ({
  holder: r.holder,
  state: r.state,
  since: dateOf(r.state_since)!,
  detail: r.detail,
  qr: r.qr,
  selfId: r.self_id,
  selfName: r.self_name,
  reportedAt: dateOf(r.reported_at)!,
  stale: Boolean(r.stale),
})

const toReported = (r: StatusRaw): ReportedStatus => ({
  account: r.account,
  label: r.label ?? r.account,
  puppet: r.puppet,
  registered: r.enabled !== null,
  enabled: r.enabled ?? true,
  ...reportedOf(r),
})

const staleSql = (leaseMs: number) =>
  sql`s.reported_at < now() - ${staleAfterLeases * leaseMs}::int * interval '1 millisecond'`

/** Every account's reported status, by name (one short query: for each console page's banner). */
export async function reportedStatuses(db: DbOrTx, leaseMs: number): Promise<ReportedStatus[]> {
  const rows = rowsOf<StatusRaw>(
    await db.execute(sql`
      select s.account, a.label, a.puppet, a.enabled, s.holder, s.state, s.state_since, s.detail, s.qr,
             s.self_id, s.self_name, s.reported_at, ${staleSql(leaseMs)} as stale
      from bot_status s left join bot_accounts a on a.name = s.account
      order by s.account`),
  )
  return rows.map(toReported)
}

/**
 * The statuses that speak for the deployment now: enabled accounts; and once any account is registered,
 * registered ones only (a leftover row of an old BOT_ACCOUNT is not news).
 */
export function currentStatuses(rows: readonly ReportedStatus[]) {
  const registered = rows.some((r) => r.registered)
  return rows.filter((r) => r.enabled && (r.registered || !registered))
}

/** Whether an account is up: reported online, recently. */
export const accountUp = (status: ReportedStatus | null | undefined) =>
  status !== null && status !== undefined && !status.stale && status.state === 'online'

/** How the account's token variable stands in its bot process (which alone need have it). */
export type CredentialsState = 'ok' | 'missing' | 'unknown' | 'none'

export interface AccountOverview {
  name: string
  /** Has a row in bot_accounts (an account named only by BOT_ACCOUNT in the environment has none). */
  registered: boolean
  label: string
  puppet: string | null
  endpoint: string | null
  tokenEnv: string | null
  enabled: boolean
  lease: { holder: string; expiresAt: Date; expired: boolean } | null
  status: Omit<ReportedStatus, 'account' | 'label' | 'puppet' | 'registered' | 'enabled'> | null
  up: boolean
  /** The login QR's value while the account waits for a scan (admins only beyond this point). */
  qr: string | null
  credentials: CredentialsState
  /** Groups (and all conversations) the account is in, as learnt from its room list and events. */
  reach: { groups: number; conversations: number }
  /** Groups (and all conversations) it speaks in now. */
  routed: { groups: number; conversations: number }
  /** Messages waiting (pending or being sent) to conversations routed to it. */
  pending: number
}

interface OverviewRaw extends Omit<StatusRaw, 'holder' | 'state' | 'state_since' | 'reported_at'> {
  registered: boolean
  endpoint: string | null
  token_env: string | null
  lease_holder: string | null
  lease_expires_at: unknown
  lease_expired: boolean | null
  holder: string | null
  state: string | null
  state_since: unknown
  reported_at: unknown
  reach_groups: number
  reach_all: number
  routed_groups: number
  routed_all: number
  pending: number
}

/** A status as this process knows it, fresher than the table (the accounts this process runs). */
export interface LiveStatus {
  account: string
  puppet?: string
  state: string
  since: Date
  detail?: string
  qr?: string
  selfId?: string
  selfName?: string
}

/**
 * Every account an admin should see: those in bot_accounts and any other that reports, holds a lease or
 * has conversations (a BOT_ACCOUNT from the environment), each with its lease, its reported status, the
 * groups it reaches and speaks in, and the messages waiting for it. Grouped counts in one statement,
 * whatever the number of groups; `live` overrides the table for the accounts this process runs.
 */
export async function accountsOverview(
  db: DbOrTx,
  options: { leaseMs: number; live?: readonly LiveStatus[]; now?: Date },
): Promise<AccountOverview[]> {
  const rows = rowsOf<OverviewRaw>(
    await db.execute(sql`
      with names as (
        select name as account from bot_accounts
        union select account from bot_status
        union select account from bot_leases
        union select distinct account from conversation_routes
        union select distinct account from conversation_reach
      ), reach as (
        select account, count(*) filter (where is_room)::int as groups, count(*)::int as all_n
        from conversation_reach group by account
      ), routed as (
        select r.account,
               count(*) filter (where exists (
                 select 1 from conversation_reach x where x.conversation_id = r.conversation_id and x.is_room
               ))::int as groups,
               count(*)::int as all_n
        from conversation_routes r group by r.account
      ), waiting as (
        select r.account, count(*)::int as n
        from outbox o join conversation_routes r on r.conversation_id = o.conversation_id
        where o.status in ('pending', 'sending')
        group by r.account
      )
      select n.account, a.name is not null as registered, a.label, a.puppet, a.endpoint, a.token_env,
             a.enabled, l.holder as lease_holder, l.expires_at as lease_expires_at,
             l.expires_at < now() as lease_expired,
             s.holder, s.state, s.state_since, s.detail, s.qr, s.self_id, s.self_name, s.reported_at,
             ${staleSql(options.leaseMs)} as stale,
             coalesce(reach.groups, 0) as reach_groups, coalesce(reach.all_n, 0) as reach_all,
             coalesce(routed.groups, 0) as routed_groups, coalesce(routed.all_n, 0) as routed_all,
             coalesce(waiting.n, 0) as pending
      from names n
      left join bot_accounts a on a.name = n.account
      left join bot_leases l on l.account = n.account
      left join bot_status s on s.account = n.account
      left join reach on reach.account = n.account
      left join routed on routed.account = n.account
      left join waiting on waiting.account = n.account
      order by n.account`),
  )
  const live = new Map((options.live ?? []).map((s) => [s.account, s]))
  const overview = rows.map((r): AccountOverview => {
    const reported =
      r.state === null || r.holder === null ? null : reportedOf({ ...r, holder: r.holder, state: r.state })
    return {
      name: r.account,
      registered: Boolean(r.registered),
      label: r.label ?? r.account,
      puppet: r.puppet,
      endpoint: r.endpoint,
      tokenEnv: r.token_env,
      enabled: r.enabled ?? true,
      lease:
        r.lease_holder === null
          ? null
          : {
              holder: r.lease_holder,
              expiresAt: dateOf(r.lease_expires_at)!,
              expired: Boolean(r.lease_expired),
            },
      status: reported,
      up: false,
      qr: null,
      credentials: 'unknown',
      reach: { groups: Number(r.reach_groups), conversations: Number(r.reach_all) },
      routed: { groups: Number(r.routed_groups), conversations: Number(r.routed_all) },
      pending: Number(r.pending),
    }
  })
  // An account this process runs but nothing in the database knows of yet (it has just started).
  for (const account of live.keys()) {
    if (overview.some((o) => o.name === account)) continue
    overview.push({
      name: account,
      registered: false,
      label: account,
      puppet: null,
      endpoint: null,
      tokenEnv: null,
      enabled: true,
      lease: null,
      status: null,
      up: false,
      qr: null,
      credentials: 'unknown',
      reach: { groups: 0, conversations: 0 },
      routed: { groups: 0, conversations: 0 },
      pending: 0,
    })
  }
  const now = options.now ?? new Date()
  for (const o of overview) {
    const mine = live.get(o.name)
    if (mine) {
      o.puppet ??= mine.puppet ?? null
      o.status = {
        holder: o.status?.holder ?? '本进程',
        state: mine.state,
        since: mine.since,
        detail: mine.detail ?? null,
        qr: mine.qr ?? null,
        selfId: mine.selfId ?? null,
        selfName: mine.selfName ?? null,
        reportedAt: now,
        stale: false,
      }
    }
    const s = o.status
    o.up = s !== null && !s.stale && s.state === 'online'
    o.qr = s && !s.stale && s.state === 'scan' ? s.qr : null
    o.credentials =
      s?.state === 'misconfigured' && !s.stale
        ? 'missing'
        : o.tokenEnv === null
          ? 'none'
          : s && !s.stale
            ? 'ok'
            : 'unknown'
  }
  return overview.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
}

/** A conversation with messages waiting that no enabled account is in. */
export interface UnreachableConversation {
  conversationId: string
  isRoom: boolean
  /** The group's name, when it is a known group. */
  topic: string | null
  pending: number
  oldest: Date
}

const unreachedSql = sql`
  with waiting as (
    select conversation_id, max(is_room) as is_room, count(*)::int as pending, min(created_at) as oldest
    from outbox where status = 'pending' group by conversation_id
  )
  select w.* from waiting w
  where not exists (
    select 1 from conversation_reach r left join bot_accounts a on a.name = r.account
    where r.conversation_id = w.conversation_id and coalesce(a.enabled, true)
  )`

/**
 * Conversations with pending messages that no enabled account reaches: most waiting first, and how many.
 * With a scope (a non-admin viewer's), only the groups within it: other streets' groups and private chats
 * are not theirs to see.
 */
export async function unreachableConversations(
  db: DbOrTx,
  options: { limit?: number; scopePath?: string | null } = {},
) {
  const limit = options.limit ?? 100
  const scope = options.scopePath
    ? sql`where g.scope_path like ${`${escapeLike(options.scopePath)}%`}`
    : sql``
  const rows = rowsOf<{
    conversation_id: string
    is_room: number
    pending: number
    oldest: unknown
    topic: string | null
    total: number
  }>(
    await db.execute(sql`
      with unreached as (${unreachedSql})
      select u.conversation_id, u.is_room, u.pending, u.oldest, g.topic, count(*) over ()::int as total
      from unreached u left join chat_groups g on g.room_id = u.conversation_id
      ${scope}
      order by u.pending desc, u.conversation_id
      limit ${limit}`),
  )
  return {
    total: Number(rows[0]?.total ?? 0),
    items: rows.map(
      (r): UnreachableConversation => ({
        conversationId: r.conversation_id,
        isRoom: Number(r.is_room) === 1,
        topic: r.topic,
        pending: Number(r.pending),
        oldest: dateOf(r.oldest)!,
      }),
    ),
  }
}

/** How many conversations with pending messages no enabled account reaches (for /metrics). */
export async function countUnreachable(db: DbOrTx) {
  const [row] = rowsOf<{ n: number }>(
    await db.execute(sql`with unreached as (${unreachedSql}) select count(*)::int as n from unreached`),
  )
  return Number(row?.n ?? 0)
}
