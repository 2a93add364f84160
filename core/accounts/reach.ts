import { sql } from 'drizzle-orm'
import { type DbOrTx, rowsOf } from '../../db/client'

/**
 * Which bot accounts reach which conversations (issue 15), learnt from what each account sees: its room
 * list at login, room events, the messages it receives. A conversation first learnt gets a route to the
 * account that learnt it (reason 'learnt'); a route, once set, only moves by failover, by an admin, or
 * when its account leaves the group while another account is still in it.
 */

const count = (value: unknown) => Number(value ?? 0)

/**
 * An account's room list after login, in one statement: every listed room is reachable by it (seen now),
 * routed to it when it has no route yet, and its room rows no longer listed are forgotten. An empty list is
 * taken as "not loaded yet" (as reconcileAfterLogin does) and forgets nothing. Routes of forgotten rooms
 * that another account still reaches move to that account.
 */
export async function learnRoomList(db: DbOrTx, account: string, roomIds: readonly string[], now: Date) {
  if (roomIds.length === 0) return { learnt: 0, routed: 0, forgotten: 0, moved: 0 }
  const at = now.toISOString()
  const [row] = rowsOf<Record<string, unknown>>(
    await db.execute(sql`
      with listed as (
        select distinct l.value as id from jsonb_array_elements_text(${JSON.stringify(roomIds)}::jsonb) l),
      upserted as (
        insert into conversation_reach (conversation_id, account, is_room, seen_at)
        select id, ${account}::text, true, ${at}::timestamptz from listed
        on conflict (conversation_id, account) do update set is_room = true, seen_at = excluded.seen_at
        returning conversation_id),
      routed as (
        insert into conversation_routes (conversation_id, account, reason, since)
        select id, ${account}::text, 'learnt', ${at}::timestamptz from listed
        on conflict (conversation_id) do nothing
        returning conversation_id),
      forgotten as (
        delete from conversation_reach c
        where c.account = ${account}::text and c.is_room and c.conversation_id not in (select id from listed)
        returning conversation_id)
      select (select count(*) from upserted) as learnt, (select count(*) from routed) as routed,
        (select count(*) from forgotten) as forgotten`),
  )
  // A second statement: the first one's delete is not visible to a statement of its own.
  const moved = await rerouteUnreached(db, account, now)
  return { learnt: count(row?.learnt), routed: count(row?.routed), forgotten: count(row?.forgotten), moved }
}

/**
 * One conversation seen by an account (a room event, a message). A room without a route is routed to the
 * account. A private chat is routed to the account the person talks to now: the person chose it.
 */
export async function learnReach(
  db: DbOrTx,
  seen: { conversationId: string; account: string; isRoom: boolean },
  now: Date,
) {
  const at = now.toISOString()
  await db.execute(sql`
    insert into conversation_reach (conversation_id, account, is_room, seen_at)
    values (${seen.conversationId}, ${seen.account}::text, ${seen.isRoom}, ${at}::timestamptz)
    on conflict (conversation_id, account) do update set is_room = excluded.is_room, seen_at = excluded.seen_at`)
  if (!seen.isRoom) return routePrivateChat(db, seen.conversationId, seen.account, now)
  await db.execute(sql`
    insert into conversation_routes (conversation_id, account, reason, since)
    values (${seen.conversationId}, ${seen.account}::text, 'learnt', ${at}::timestamptz)
    on conflict (conversation_id) do nothing`)
}

/**
 * A private chat goes to the account the person last talked to: one statement that writes only when the
 * route changes, so it can run at every private message.
 */
export async function routePrivateChat(db: DbOrTx, personId: string, account: string, now: Date) {
  await db.execute(sql`
    insert into conversation_routes (conversation_id, account, reason, since)
    values (${personId}, ${account}::text, 'learnt', ${now.toISOString()}::timestamptz)
    on conflict (conversation_id) do update set account = excluded.account, reason = excluded.reason,
      since = excluded.since
    where conversation_routes.account <> excluded.account`)
}

/**
 * The account left a group (removed, or the group dissolved): it no longer reaches it. When the group was
 * routed to it and another account is still in the group, the route moves there. Returns whether another
 * account still reaches the group (then the group is not gone for Gaizao).
 */
export async function forgetReach(db: DbOrTx, conversationId: string, account: string, now: Date) {
  await db.execute(sql`
    delete from conversation_reach where conversation_id = ${conversationId} and account = ${account}::text`)
  await rerouteUnreached(db, account, now, conversationId)
  const others = rowsOf(
    await db.execute(sql`select 1 from conversation_reach where conversation_id = ${conversationId} limit 1`),
  )
  return { othersReach: others.length > 0 }
}

/**
 * Routes of `account` to conversations it no longer reaches, moved to the first other account (by name)
 * that does. Those no other account reaches stay: failover tells the officers about them.
 */
async function rerouteUnreached(db: DbOrTx, account: string, now: Date, conversationId?: string) {
  const rows = rowsOf(
    await db.execute(sql`
      update conversation_routes r
      set account = (select min(c.account) from conversation_reach c where c.conversation_id = r.conversation_id),
        reason = 'learnt', since = ${now.toISOString()}::timestamptz
      where r.account = ${account}::text
        ${conversationId === undefined ? sql`` : sql`and r.conversation_id = ${conversationId}`}
        and not exists (select 1 from conversation_reach c
                        where c.conversation_id = r.conversation_id and c.account = ${account}::text)
        and exists (select 1 from conversation_reach c where c.conversation_id = r.conversation_id)
      returning r.conversation_id`),
  )
  return rows.length
}

/**
 * Which account handles a group message that mentions no account (votes, replies the bot reads without
 * an @): the account the group is routed to while it is online; when the route's account is down (its
 * status is not `online`, or stale) or there is no route, the first online account (by name) that reaches
 * the group; when no account is known to be online (no statuses reported: tests, a sandbox), the route's
 * account, else whoever asks. So exactly one of the accounts in a group files the message.
 */
export async function groupSpeaker(
  db: DbOrTx,
  conversationId: string,
  account: string,
  now: Date,
  staleAfterMs: number,
): Promise<string> {
  const fresh = new Date(now.getTime() - staleAfterMs).toISOString()
  const [row] = rowsOf<{ routed: string | null; routed_up: boolean; first_up: string | null }>(
    await db.execute(sql`
      select r.account as routed,
        exists (select 1 from bot_status s where s.account = r.account and s.state = 'online'
                and s.reported_at > ${fresh}::timestamptz) as routed_up,
        (select min(c.account) from conversation_reach c join bot_status s on s.account = c.account
         where c.conversation_id = ${conversationId} and s.state = 'online'
           and s.reported_at > ${fresh}::timestamptz) as first_up
      from (select 1) one left join conversation_routes r on r.conversation_id = ${conversationId}`),
  )
  if (row?.routed && row.routed_up) return row.routed
  return row?.first_up ?? row?.routed ?? account
}
