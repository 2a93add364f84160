import { types, type WechatyBuilder } from 'wechaty'
import { z } from 'zod'
import {
  createFriendThrottle,
  type FriendThrottle,
  handleFriendRequest,
  handleInvitation,
  welcomeFriend,
} from '../core/groups/invitations.usecases'
import { reconcileAfterLogin } from '../core/groups/reconcile'
import { botRemovedFromRoom, membersJoined, membersLeft, roomRenamed } from '../core/groups/rooms.usecases'
import type { Deps } from '../core/shared/deps'

type WechatyInterface = ReturnType<typeof WechatyBuilder.build>
type RoomLike = { id: string; memberAll(): Promise<unknown[]> }
type ContactLike = { id: string; name(): string; self(): boolean }

export type LifecycleAdapterDeps = Pick<Deps, 'db' | 'clock' | 'log' | 'config' | 'outboxSignal'>

// What the puppet hands over, checked before core sees it: ids and names are non-empty strings.
const wechatId = z.string().min(1).max(200)
const displayName = z.string().max(200).catch('')
const InvitationSchema = z.object({
  id: wechatId,
  inviterId: wechatId,
  inviterName: displayName,
  topic: displayName,
})
const PersonSchema = z.object({ id: wechatId, name: displayName })
const FriendRequestSchema = z.object({
  contactId: wechatId,
  contactName: displayName,
  hello: z.string().catch(''),
})
const RoomTopicSchema = z.object({ roomId: wechatId, topic: z.string().min(1).max(200) })
const SnapshotSchema = z.object({
  rooms: z.array(z.object({ id: wechatId, topic: z.string().max(200) })),
  contacts: z.array(PersonSchema),
})

/** The room's member count as the puppet knows it now; undefined when it cannot say. */
async function memberCountOf(room: RoomLike) {
  return room.memberAll().then(
    (members) => members.length,
    () => undefined,
  )
}

const people = (contacts: readonly ContactLike[]) =>
  contacts.filter((c) => !c.self()).map((c) => PersonSchema.parse({ id: c.id, name: c.name() }))

/**
 * Groups and contacts over their lifetime: invitations, friend requests, the bot removed from a group,
 * renamed groups, members joining and leaving. Called for every wechaty instance built (the bot is
 * rebuilt on reconnect), so all state (the friend throttle) lives in this call. A listener never throws:
 * every failure is logged.
 */
export function attachLifecycleHandlers(
  wechaty: WechatyInterface,
  deps: LifecycleAdapterDeps,
  options: { friendThrottle?: FriendThrottle } = {},
) {
  const { log } = deps
  const throttle = options.friendThrottle ?? createFriendThrottle(deps.config.bot.friendsPerHour)
  const guarded =
    <A extends unknown[]>(event: string, work: (...args: A) => Promise<void>) =>
    async (...args: A) => {
      try {
        await work(...args)
      } catch (error) {
        log.error('bot lifecycle event failed', { event, err: error })
      }
    }

  wechaty.on(
    'room-invite',
    guarded('room-invite', async (invitation) => {
      const inviter = await invitation.inviter()
      const parsed = InvitationSchema.parse({
        id: invitation.id,
        inviterId: inviter.id,
        inviterName: inviter.name(),
        topic: await invitation.topic(),
      })
      const result = await handleInvitation(deps, parsed, () => invitation.accept())
      if (result.accepted) deps.outboxSignal.notify()
    }),
  )

  wechaty.on(
    'friendship',
    guarded('friendship', async (friendship) => {
      const contact = friendship.contact()
      const type = friendship.type()
      if (type === types.Friendship.Receive) {
        const request = FriendRequestSchema.parse({
          contactId: contact.id,
          contactName: contact.name(),
          hello: friendship.hello(),
        })
        const result = await handleFriendRequest(deps, request, () => friendship.accept(), throttle)
        if (result.accepted) deps.outboxSignal.notify()
      } else if (type === types.Friendship.Confirm) {
        await welcomeFriend(deps, { contactId: wechatId.parse(contact.id) })
        deps.outboxSignal.notify()
      }
    }),
  )

  wechaty.on(
    'room-leave',
    guarded('room-leave', async (room, leavers) => {
      const roomId = wechatId.parse(room.id)
      if (leavers.some((c) => c.self())) {
        const topic = await room.topic().catch(() => undefined)
        const result = await botRemovedFromRoom(deps, { roomId, topic })
        if (result.notified > 0) deps.outboxSignal.notify()
        return
      }
      await membersLeft(deps, { roomId, memberCount: await memberCountOf(room), leftCount: leavers.length })
    }),
  )

  wechaty.on(
    'room-topic',
    guarded('room-topic', async (room, topic) => {
      await roomRenamed(deps, RoomTopicSchema.parse({ roomId: room.id, topic }))
    }),
  )

  wechaty.on(
    'room-join',
    guarded('room-join', async (room, invitees) => {
      const result = await membersJoined(deps, {
        roomId: wechatId.parse(room.id),
        members: people(invitees),
        memberCount: await memberCountOf(room),
      })
      if (result.welcomed > 0) deps.outboxSignal.notify()
    }),
  )
}

/**
 * After each login: the rooms and contacts the puppet knows now, so groups and staff whose ids changed
 * (wechat4u) follow them. A list that cannot be read counts as empty, and core then leaves that half alone.
 */
export async function reconcileOnLogin(wechaty: WechatyInterface, deps: LifecycleAdapterDeps): Promise<void> {
  try {
    const rooms = await wechaty.Room.findAll().catch((error: unknown) => {
      deps.log.warn('rooms could not be listed after login', { err: error })
      return []
    })
    const contacts = await wechaty.Contact.findAll().catch((error: unknown) => {
      deps.log.warn('contacts could not be listed after login', { err: error })
      return []
    })
    const snapshot = SnapshotSchema.parse({
      rooms: (
        await Promise.all(
          rooms.map(async (room) => ({ id: room.id, topic: await room.topic().catch(() => undefined) })),
        )
      ).filter((r): r is { id: string; topic: string } => r.topic !== undefined),
      contacts: contacts.filter((c) => !c.self()).map((c) => ({ id: c.id, name: c.name() })),
    })
    const result = await reconcileAfterLogin(deps, snapshot)
    if (result.groupsMoved + result.staffMoved > 0) deps.outboxSignal.notify()
  } catch (error) {
    deps.log.error('reconciling ids after login failed', { err: error })
  }
}
