import { helpText } from '../chat/chat.messages'
import { enqueueMessages } from '../outbox/outbox.repository'
import { findStaffByWechat } from '../people/residents'
import type { Deps } from '../shared/deps'
import { groupText } from './groups.messages'
import { officersRoomsFor } from './groups.repository'

export type LifecycleDeps = Pick<Deps, 'db' | 'clock' | 'log' | 'config'>

/** A group invitation as the puppet reports it. */
export interface Invitation {
  id: string
  inviterId: string
  inviterName: string
  topic: string
}

/**
 * `room-invite`: accepted from bound staff (or anyone, or no one, by BOT_ACCEPT_INVITES); the officers'
 * groups over the inviter's scope are then told how to bind the new group. A stranger's invitation is
 * declined by silence. `accept` joins the room; nothing is told when it fails.
 */
export async function handleInvitation(
  deps: LifecycleDeps,
  invitation: Invitation,
  accept: () => Promise<void>,
) {
  const policy = deps.config.bot.acceptInvites
  const inviter = policy === 'none' ? undefined : await findStaffByWechat(deps.db, invitation.inviterId)
  const accepted = policy === 'all' || (policy === 'staff' && inviter !== undefined)
  if (!accepted) {
    deps.log.info('group invitation declined', {
      invitationId: invitation.id,
      inviterId: invitation.inviterId,
      topic: invitation.topic,
      policy,
    })
    return { accepted: false as const }
  }
  await accept()
  const now = deps.clock.now()
  const notified = await deps.db.transaction(async (tx) => {
    const rooms = await officersRoomsFor(tx, inviter ? inviter.scopePath : undefined)
    await enqueueMessages(
      tx,
      rooms.map((roomId) => ({
        conversationId: roomId,
        isRoom: true,
        text: groupText.joined(invitation.topic),
        dedupeKey: `invite:${invitation.id}:room:${roomId}`,
      })),
      now,
      { maxChars: deps.config.send.maxChars },
    )
    return rooms.length
  })
  deps.log.info('group invitation accepted', {
    invitationId: invitation.id,
    inviterId: invitation.inviterId,
    topic: invitation.topic,
    notified,
  })
  return { accepted: true as const, notified }
}

/** A friend request as the puppet reports it. */
export interface FriendRequest {
  contactId: string
  contactName: string
  hello: string
}

/**
 * At most `perHour` acceptances in any sliding hour; refusals beyond it are counted and logged at warn
 * at most once a minute. One per bot instance: the bot is rebuilt on reconnect, and so is its throttle.
 */
export function createFriendThrottle(perHour: number) {
  const acceptedAt: number[] = []
  let refused = 0
  let lastWarnAt = Number.NEGATIVE_INFINITY
  return {
    take(now: Date) {
      const t = now.getTime()
      while (acceptedAt.length > 0 && acceptedAt[0]! <= t - 3_600_000) acceptedAt.shift()
      if (acceptedAt.length >= perHour) return false
      acceptedAt.push(t)
      return true
    },
    refuse(now: Date, log: LifecycleDeps['log']) {
      refused++
      if (now.getTime() - lastWarnAt < 60_000) return
      log.warn('friend requests over the hourly limit were not accepted', { count: refused, perHour })
      refused = 0
      lastWarnAt = now.getTime()
    },
  }
}

export type FriendThrottle = ReturnType<typeof createFriendThrottle>

/** `friendship` of type Receive: accepted by BOT_ACCEPT_FRIENDS and the hourly limit, then welcomed. */
export async function handleFriendRequest(
  deps: LifecycleDeps,
  request: FriendRequest,
  accept: () => Promise<void>,
  throttle: FriendThrottle,
) {
  const { acceptFriends, friendKeyword } = deps.config.bot
  const wanted =
    acceptFriends === 'all' ||
    (acceptFriends === 'keyword' &&
      friendKeyword !== undefined &&
      request.hello.toLowerCase().includes(friendKeyword.toLowerCase()))
  if (!wanted) {
    deps.log.info('friend request not accepted', { contactId: request.contactId, policy: acceptFriends })
    return { accepted: false as const, reason: 'policy' as const }
  }
  const now = deps.clock.now()
  if (!throttle.take(now)) {
    throttle.refuse(now, deps.log)
    return { accepted: false as const, reason: 'throttled' as const }
  }
  await accept()
  await welcomeFriend(deps, { contactId: request.contactId })
  return { accepted: true as const }
}

/**
 * The help text, privately, once per contact (also on `friendship` Confirm, when the other side added
 * the bot): staff get the staff variant.
 */
export async function welcomeFriend(deps: LifecycleDeps, friend: { contactId: string }) {
  const staff = await findStaffByWechat(deps.db, friend.contactId)
  await enqueueMessages(
    deps.db,
    [
      {
        conversationId: friend.contactId,
        isRoom: false,
        text: helpText(deps.config.botName, { staff: staff !== undefined, inRoom: false }),
        dedupeKey: `welcome-friend:${friend.contactId}`,
        priority: 'reply',
      },
    ],
    deps.clock.now(),
    { maxChars: deps.config.send.maxChars },
  )
}
