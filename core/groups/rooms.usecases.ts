import { createHash } from 'node:crypto'
import { and, eq, gt, like, sql } from 'drizzle-orm'
import { chatGroups, type OutboxMention, outbox, xiaoqu } from '../../db/schema'
import { recordAudit } from '../audit/audit'
import { enqueueMessages } from '../outbox/outbox.repository'
import { groupKindNames, groupText } from './groups.messages'
import { dropPendingFor, findGroupByRoom, officersRoomsFor } from './groups.repository'
import type { LifecycleDeps } from './invitations.usecases'

const welcomeGapMs = 10 * 60_000
/** One welcome @mentions at most this many newcomers: a mass join is not greeted name by name. */
const welcomeMentionsMax = 20

/**
 * `room-leave` with the bot among the leavers: the group is `left`, what still waited for it is dropped,
 * and the officers' groups over it are told. A room the bot never knew is only logged.
 */
export async function botRemovedFromRoom(deps: LifecycleDeps, room: { roomId: string; topic?: string }) {
  const now = deps.clock.now()
  const result = await deps.db.transaction(async (tx) => {
    const group = await findGroupByRoom(tx, room.roomId, { lock: true })
    if (!group || group.state === 'left') return { known: Boolean(group), dropped: 0, notified: 0 }
    const [left] = await tx
      .update(chatGroups)
      .set({ state: 'left', stateChangedAt: now })
      .where(eq(chatGroups.id, group.id))
      .returning()
    const dropped = await dropPendingFor(tx, group.roomId, groupText.leftError)
    await recordAudit(tx, {
      actor: { kind: 'system' },
      action: 'group.left',
      entity: 'chat_group',
      entityId: group.id,
      before: { state: group.state },
      after: { state: left!.state, dropped },
      at: now,
    })
    const [place] = group.xiaoquId
      ? await tx.select({ name: xiaoqu.name }).from(xiaoqu).where(eq(xiaoqu.id, group.xiaoquId))
      : []
    const rooms = await officersRoomsFor(tx, group.scopePath)
    const text = groupText.removed(group.topic, place?.name ?? groupKindNames[group.kind], dropped)
    await enqueueMessages(
      tx,
      rooms.map((roomId) => ({
        conversationId: roomId,
        isRoom: true,
        text,
        dedupeKey: `group-left:${group.id}:${now.getTime()}:room:${roomId}`,
      })),
      now,
      { maxChars: deps.config.send.maxChars },
    )
    return { known: true, dropped, notified: rooms.length }
  })
  if (!result.known)
    deps.log.info('bot left a room it never knew', { roomId: room.roomId, topic: room.topic })
  else deps.log.warn('bot removed from a group', { roomId: room.roomId, ...result })
  return result
}

/** `room-topic`: the stored topic follows the room's. */
export async function roomRenamed(deps: LifecycleDeps, room: { roomId: string; topic: string }) {
  const updated = await deps.db
    .update(chatGroups)
    .set({ topic: room.topic })
    .where(eq(chatGroups.roomId, room.roomId))
    .returning({ id: chatGroups.id })
  return updated.length > 0
}

/** Other members left: only the count changes. */
export async function membersLeft(
  deps: LifecycleDeps,
  room: { roomId: string; memberCount?: number; leftCount: number },
) {
  await deps.db
    .update(chatGroups)
    .set({
      // Unknown stays unknown: a count is only ever what the puppet reported, or derived from it.
      memberCount: room.memberCount ?? sql`greatest(${chatGroups.memberCount} - ${room.leftCount}::int, 0)`,
    })
    .where(eq(chatGroups.roomId, room.roomId))
}

/**
 * `room-join`: the member count follows, and with BOT_WELCOME_NEW_MEMBERS an active residents' or
 * building group greets its newcomers, once per member ever, in at most one message per 10 minutes.
 * Members who join while that gap runs are not welcomed at all (no queue of people owed a greeting is
 * kept): a burst of joins is usually a mass invitation, where one greeting already did the job.
 */
export async function membersJoined(
  deps: LifecycleDeps,
  room: { roomId: string; members: readonly OutboxMention[]; memberCount?: number },
) {
  const now = deps.clock.now()
  return deps.db.transaction(async (tx) => {
    // Locked: two join events at once must not both pass the 10-minute gap.
    const group = await findGroupByRoom(tx, room.roomId, { lock: true })
    if (!group) return { welcomed: 0 }
    const memberCount =
      room.memberCount ?? (group.memberCount === null ? null : group.memberCount + room.members.length)
    await tx.update(chatGroups).set({ memberCount }).where(eq(chatGroups.id, group.id))
    if (!deps.config.bot.welcomeNewMembers || group.state !== 'active' || group.kind === 'officers') {
      return { welcomed: 0 }
    }
    const prefix = `welcome-members:g${group.id}:`
    const mine = and(eq(outbox.conversationId, group.roomId), like(outbox.dedupeKey, `${prefix}%`))
    const [recent] = await tx
      .select({ id: outbox.id })
      .from(outbox)
      .where(and(mine, gt(outbox.createdAt, new Date(now.getTime() - welcomeGapMs))))
      .limit(1)
    if (recent) return { welcomed: 0 }
    const newcomers: OutboxMention[] = []
    for (const member of room.members) {
      if (newcomers.length >= welcomeMentionsMax) break
      if (newcomers.some((m) => m.id === member.id)) continue
      const [greeted] = await tx
        .select({ id: outbox.id })
        .from(outbox)
        .where(and(mine, sql`${outbox.mentions} @> ${JSON.stringify([{ id: member.id }])}::jsonb`))
        .limit(1)
      if (!greeted) newcomers.push(member)
    }
    if (newcomers.length === 0) return { welcomed: 0 }
    const who = createHash('sha256')
      .update(
        newcomers
          .map((m) => m.id)
          .sort()
          .join('\n'),
      )
      .digest('hex')
      .slice(0, 16)
    await enqueueMessages(
      tx,
      [
        {
          conversationId: group.roomId,
          isRoom: true,
          text: groupText.welcome(deps.config.botName),
          mentions: newcomers,
          dedupeKey: `${prefix}${who}`,
        },
      ],
      now,
      { maxChars: deps.config.send.maxChars },
    )
    return { welcomed: newcomers.length }
  })
}
