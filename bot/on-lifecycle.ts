import { types, type WechatyBuilder } from 'wechaty'
import { z } from 'zod'
import { forgetReach, learnReach, learnRoomList } from '../core/accounts/reach'
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
  /** `account`: the bot account this wechaty is (several accounts): the rooms it is in are learnt for it. */
  options: { friendThrottle?: FriendThrottle; account?: string } = {},
) {
  const { log, account } = { ...deps, account: options.account }
  /** The account is in this room (an event of it arrived): it reaches it, and routes it if nobody does. */
  const inRoom = async (roomId: string) => {
    if (account !== undefined)
      await learnReach(deps.db, { conversationId: roomId, account, isRoom: true }, deps.clock.now())
  }
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
        if (account !== undefined) {
          // Another of our accounts still in the group keeps it (its route moves there): not gone for Gaizao.
          const { othersReach } = await forgetReach(deps.db, roomId, account, deps.clock.now())
          if (othersReach) {
            log.info('bot account left a group another account is still in; the group stays', {
              account,
              roomId,
            })
            deps.outboxSignal.notify()
            return
          }
        }
        const topic = await room.topic().catch(() => undefined)
        const result = await botRemovedFromRoom(deps, { roomId, topic })
        if (result.notified > 0) deps.outboxSignal.notify()
        return
      }
      await inRoom(roomId)
      await membersLeft(deps, { roomId, memberCount: await memberCountOf(room), leftCount: leavers.length })
    }),
  )

  wechaty.on(
    'room-topic',
    guarded('room-topic', async (room, topic) => {
      const renamed = RoomTopicSchema.parse({ roomId: room.id, topic })
      await inRoom(renamed.roomId)
      await roomRenamed(deps, renamed)
    }),
  )

  wechaty.on(
    'room-join',
    guarded('room-join', async (room, invitees) => {
      const roomId = wechatId.parse(room.id)
      // The bot itself joining (an accepted invitation) and others joining both say it is in the room.
      await inRoom(roomId)
      const result = await membersJoined(deps, {
        roomId,
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
export async function reconcileOnLogin(
  wechaty: WechatyInterface,
  deps: LifecycleAdapterDeps,
  /** The bot account that logged in (several accounts): its room list is what it reaches. */
  account?: string,
): Promise<void> {
  try {
    const rooms = await wechaty.Room.findAll().catch((error: unknown) => {
      deps.log.warn('rooms could not be listed after login', { err: error })
      return []
    })
    const contacts = await wechaty.Contact.findAll().catch((error: unknown) => {
      deps.log.warn('contacts could not be listed after login', { err: error })
      return []
    })
    if (account !== undefined) await learnRooms(deps, account, rooms)
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

/**
 * The rooms an account is in after login (every listed room, topic read or not), learnt in one batch; a
 * failure is logged and leaves the ids' reconciliation to go on.
 */
async function learnRooms(deps: LifecycleAdapterDeps, account: string, rooms: readonly { id: unknown }[]) {
  try {
    const ids = rooms
      .map((room) => wechatId.safeParse(room.id))
      .flatMap((id) => (id.success ? [id.data] : []))
    const learnt = await learnRoomList(deps.db, account, ids, deps.clock.now())
    deps.log.info('rooms learnt at login', { account, ...learnt })
    if (learnt.routed + learnt.moved > 0) deps.outboxSignal.notify()
  } catch (error) {
    deps.log.error('learning the rooms after login failed', { account, err: error })
  }
}
