import { and, eq, sql } from 'drizzle-orm'
import { type DbOrTx, rowsOf } from '../../db/client'
import { chatGroups } from '../../db/schema'
import { enqueueMessages } from '../outbox/outbox.repository'
import type { Deps } from '../shared/deps'

type FailoverDeps = Pick<Deps, 'db' | 'clock' | 'config' | 'log' | 'outboxSignal'>

/** Any constant all instances share: one job runner at a time moves routes. */
const failoverLockKey = 7_301_202_015
/** The unreachable groups one notice names; the rest are counted. */
const listCap = 20

export interface AccountState {
  account: string
  label: string | null
  /** When it went down; null = up (online, reporting, holding its lease, enabled). */
  downSince: Date | null
}

/**
 * Every account anything refers to (bot_accounts, bot_status, conversation_routes) and since when it is
 * down: disabled; never reported; reported a state other than `online` (since that state began); its
 * report stale, older than twice the bot lease (a dead process: since its last report); or its lease gone
 * or lapsed (since it lapsed).
 */
export async function accountStates(db: DbOrTx, now: Date, leaseMs: number): Promise<AccountState[]> {
  const at = now.toISOString()
  const fresh = new Date(now.getTime() - 2 * leaseMs).toISOString()
  const rows = rowsOf<{ account: string; label: string | null; down_since: string | Date | null }>(
    await db.execute(sql`
      with names as (
        select name as account from bot_accounts
        union select account from bot_status
        union select distinct account from conversation_routes)
      select n.account, a.label,
        case
          when a.name is not null and not a.enabled then a.updated_at
          when s.account is null then coalesce(a.created_at, 'epoch'::timestamptz)
          when s.state <> 'online' then s.state_since
          when s.reported_at < ${fresh}::timestamptz then s.reported_at
          when l.account is null then s.reported_at
          when l.expires_at < ${at}::timestamptz then l.expires_at
        end as down_since
      from names n
      left join bot_accounts a on a.name = n.account
      left join bot_status s on s.account = n.account
      left join bot_leases l on l.account = n.account
      order by n.account`),
  )
  return rows.map((r) => ({
    account: r.account,
    label: r.label,
    downSince: r.down_since === null ? null : new Date(r.down_since),
  }))
}

/**
 * The failover tick (every minute, one job runner at a time under an advisory lock).
 *
 * 1. A conversation nothing routed yet (an upgrade, a route removed, a group never learnt) is routed: to
 *    a reaching account, an online one first, or, with messages waiting and no account in it, to the
 *    fallback account (reason 'learnt'; see adoptUnrouted).
 * 2. Each conversation routed to an account down for `config.bot.failoverAfterMs` that an online account
 *    reaches moves to one of those (spread by the conversation's hash), in one statement (reason
 *    'failover'). A row the down account holds in `sending` stays with it: the claim leaves a group whose
 *    head is held alone, so nothing of that group goes twice or out of order; its lease recovery decides.
 * 3. Conversations with pending messages that no online account reaches: the officers' groups are told
 *    once per outage (a dedupe key per account and outage start), while some account is online to say it.
 *
 * When the account comes back, its conversations stay where they are: moving them back would make a group
 * hear a third voice and flap at every blip; an admin may move them.
 */
export async function runFailover(deps: FailoverDeps) {
  const { db, clock, config, log } = deps
  const now = clock.now()
  const result = await db.transaction(async (tx) => {
    const [lock] = rowsOf<{ ok: boolean }>(
      await tx.execute(sql`select pg_try_advisory_xact_lock(${failoverLockKey}) as ok`),
    )
    if (!lock?.ok) return { skipped: true as const }
    const states = await accountStates(tx, now, config.bot.leaseMs)
    const online = states.filter((s) => s.downSince === null).map((s) => s.account)
    const down = states.filter(
      (s) => s.downSince !== null && now.getTime() - s.downSince.getTime() >= config.bot.failoverAfterMs,
    )
    const adopted = await adoptUnrouted(tx, online, now)
    if (down.length === 0) return { skipped: false as const, adopted, moved: [], unreachable: [] }
    const moved = await moveRoutes(
      tx,
      down.map((d) => d.account),
      online,
      now,
    )
    const unreachable = online.length > 0 ? await tellOfficers(tx, down, now, config.send.maxChars) : []
    return { skipped: false as const, adopted, moved, unreachable }
  })
  if (result.skipped) return { adopted: 0, moved: 0, unreachable: 0, told: 0 }
  if (result.adopted > 0) log.info('failover: unrouted conversations routed', { count: result.adopted })
  if (result.moved.length > 0) {
    const counts: Record<string, number> = {}
    for (const m of result.moved) counts[`${m.from} -> ${m.to}`] = (counts[`${m.from} -> ${m.to}`] ?? 0) + 1
    log.warn('failover: conversations moved from accounts that are down', {
      moved: result.moved.length,
      counts,
    })
  }
  for (const u of result.unreachable) {
    // Said when the officers are told; every minute after that only for debugging.
    log[u.told > 0 ? 'warn' : 'debug']('failover: conversations no online account reaches', {
      account: u.account,
      conversations: u.count,
      told: u.told,
    })
  }
  const told = result.unreachable.reduce((n, u) => n + u.told, 0)
  if (result.moved.length + told > 0) deps.outboxSignal.notify()
  return {
    adopted: result.adopted,
    moved: result.moved.length,
    unreachable: result.unreachable.reduce((n, u) => n + u.count, 0),
    told,
  }
}

const jsonList = (values: readonly string[]) =>
  sql`(select jsonb_array_elements_text(${JSON.stringify(values)}::jsonb))`

/**
 * Routes for conversations nothing routed yet: one some account reaches goes to a reaching account, an
 * online one first; one with messages waiting that no account reaches goes to the fallback account (the
 * first enabled one by name), the one the claim gives it to (see claimDue). Without enabled accounts
 * (one account, the sandbox) nothing needs it: the sender takes every unrouted conversation.
 */
async function adoptUnrouted(db: DbOrTx, online: readonly string[], now: Date) {
  const at = sql`${now.toISOString()}::timestamptz`
  const reached = rowsOf(
    await db.execute(sql`
      insert into conversation_routes (conversation_id, account, reason, since)
      select distinct on (c.conversation_id) c.conversation_id, c.account, 'learnt', ${at}
      from conversation_reach c
      where not exists (select 1 from conversation_routes r where r.conversation_id = c.conversation_id)
        and not exists (select 1 from bot_accounts d where d.name = c.account and not d.enabled)
      order by c.conversation_id, (c.account in ${jsonList(online)}) desc, c.account
      on conflict (conversation_id) do nothing
      returning conversation_id`),
  )
  // The conversations with messages waiting, one index entry each (a skip scan of outbox_queue).
  const waiting = rowsOf(
    await db.execute(sql`
      with recursive queued as (
        (select q.conversation_id from outbox q where q.status in ('pending', 'sending')
         order by q.conversation_id, q.id limit 1)
        union all
        select x.conversation_id from queued h
        cross join lateral (
          select q.conversation_id from outbox q
          where q.status in ('pending', 'sending') and q.conversation_id > h.conversation_id
          order by q.conversation_id, q.id limit 1) x)
      insert into conversation_routes (conversation_id, account, reason, since)
      select w.conversation_id, f.name, 'learnt', ${at}
      from queued w
      cross join (select min(b.name) as name from bot_accounts b where b.enabled) f
      where f.name is not null
        and not exists (select 1 from conversation_routes r where r.conversation_id = w.conversation_id)
      on conflict (conversation_id) do nothing
      returning conversation_id`),
  )
  return reached.length + waiting.length
}

async function moveRoutes(db: DbOrTx, down: readonly string[], online: readonly string[], now: Date) {
  if (online.length === 0) return []
  const rows = rowsOf<{ conversation_id: string; from_account: string; to_account: string }>(
    await db.execute(sql`
      update conversation_routes r
      set account = pick.account, reason = 'failover', since = ${now.toISOString()}::timestamptz
      from (
        select m.conversation_id, m.account as from_account,
          (array_agg(c.account order by c.account))[
            (1 + abs(hashtext(m.conversation_id)::bigint) % count(*))::int] as account
        from conversation_routes m
        join conversation_reach c on c.conversation_id = m.conversation_id and c.account in ${jsonList(online)}
        where m.account in ${jsonList(down)}
        group by m.conversation_id, m.account) pick
      where r.conversation_id = pick.conversation_id and r.account = pick.from_account
      returning r.conversation_id, pick.from_account, r.account as to_account`),
  )
  return rows.map((r) => ({ conversation: r.conversation_id, from: r.from_account, to: r.to_account }))
}

/**
 * Per account down: the conversations still routed to it (no online account reaches them) with messages
 * waiting, and a notice about them to every active officers' group, once per outage.
 */
async function tellOfficers(db: DbOrTx, down: readonly AccountState[], now: Date, maxChars: number) {
  const officerRooms = (
    await db
      .select({ roomId: chatGroups.roomId })
      .from(chatGroups)
      .where(and(eq(chatGroups.kind, 'officers'), eq(chatGroups.state, 'active')))
  ).map((g) => g.roomId)
  const stuck = rowsOf<{ account: string; conversation_id: string; topic: string | null }>(
    await db.execute(sql`
      select r.account, r.conversation_id, g.topic from conversation_routes r
      left join chat_groups g on g.room_id = r.conversation_id
      where r.account in ${jsonList(down.map((d) => d.account))}
        and exists (select 1 from outbox o where o.conversation_id = r.conversation_id and o.status = 'pending')
      order by r.account, g.topic nulls last, r.conversation_id`),
  )
  const report: { account: string; count: number; told: number }[] = []
  for (const state of down) {
    const mine = stuck.filter((s) => s.account === state.account)
    if (mine.length === 0) continue
    const text = unreachableNotice(state, mine, now)
    const outage = state.downSince!.toISOString()
    const messages = officerRooms.map((room) => ({
      conversationId: room,
      isRoom: true,
      text,
      dedupeKey: `failover:${state.account}:${outage}:${room}`,
    }))
    // Told once per outage: the keys name the account and when it went down, so a second run (or a
    // second runner, should the lock ever let two in) writes nothing new.
    const told = rowsOf(
      await db.execute(sql`
        select 1 from outbox where dedupe_key like ${`failover:${state.account}:${outage}:%`} limit 1`),
    )
    if (told.length === 0) await enqueueMessages(db, messages, now, { maxChars })
    report.push({ account: state.account, count: mine.length, told: told.length === 0 ? messages.length : 0 })
  }
  return report
}

/** The officers' notice, in Chinese: which account, since when, which groups (the first few by topic). */
export function unreachableNotice(
  state: AccountState,
  stuck: readonly { conversation_id: string; topic: string | null }[],
  now: Date,
) {
  const minutes = Math.max(1, Math.round((now.getTime() - state.downSince!.getTime()) / 60_000))
  const name = state.label ? `「${state.label}」（${state.account}）` : `「${state.account}」`
  const groups = stuck.filter((s) => s.topic !== null)
  const people = stuck.length - groups.length
  const lines = groups.slice(0, listCap).map((g) => `· ${g.topic}`)
  const more = groups.length > listCap ? [`……等共 ${groups.length} 个群`] : []
  const privateLine = people > 0 ? [`另有 ${people} 个私聊或未登记的会话。`] : []
  return [
    `【机器人账号离线】账号${name}已离线约 ${minutes} 分钟，以下 ${groups.length} 个群没有其他在线账号可以送达，待发消息暂时发不出去：`,
    ...lines,
    ...more,
    ...privateLine,
    '请尽快让该账号重新登录，或把另一个机器人账号拉进这些群（拉进后会自动改由该账号发送）。',
  ].join('\n')
}
