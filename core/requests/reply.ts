import type { DbOrTx } from '../../db/client'
import { recordAudit } from '../audit/audit'
import { enqueueMessages, type OutgoingMessage } from '../outbox/outbox.repository'
import { type Actor, assertRole } from '../shared/actor'
import type { Deps } from '../shared/deps'
import { invalid } from '../shared/errors'
import { excerpt } from './requests.messages'
import * as repo from './requests.repository'
import { findVisibleRequest } from './requests.usecases'

type Ctx = Pick<Deps, 'clock' | 'config'> & { db: DbOrTx }

export const maxReplyLength = 500

/** What the resident reads: which request it answers, the officer's words, and who wrote them. */
export const replyText = (request: repo.RequestRow, text: string, officerName: string) =>
  `关于您的诉求 ${request.number}（${excerpt(request.text, 16)}）：\n${text}\n——${officerName}`

/**
 * An officer's message about a request to where the resident can read it: the group the request was filed
 * in (@mentioning the resident), else the resident's private chat. Only staff who may act on the request
 * (its holder among property staff; officers and community workers within scope), once it has somewhere
 * to go: a request taken by phone or at the counter has no conversation. Sent through the outbox in the
 * caller's transaction, recorded as an event of the request and audited.
 */
export async function replyToRequest(
  ctx: Ctx,
  actor: Actor & { kind: 'staff' },
  number: string,
  message: string,
) {
  const text = message.trim()
  if (!text) throw invalid('requests.reply_empty', '请填写要回复居民的内容。')
  if (text.length > maxReplyLength) {
    throw invalid('requests.reply_too_long', `回复不超过 ${maxReplyLength} 字，请分几次发送。`)
  }
  const { request, context } = await findVisibleRequest(ctx.db, actor.staff, number)
  if (actor.staff.role !== 'property_staff') assertRole(actor.staff, ['officer', 'community_worker'])
  const author = context.author
  const target: Omit<OutgoingMessage, 'text' | 'dedupeKey'> | undefined = context.group
    ? {
        conversationId: context.group.roomId,
        isRoom: true,
        mentions: author?.wechatId ? [{ id: author.wechatId, name: author.name }] : [],
      }
    : author?.wechatId
      ? { conversationId: author.wechatId, isRoom: false }
      : undefined
  if (!target) {
    throw invalid(
      'requests.no_conversation',
      `诉求 ${number} 是电话或来访代录的，没有可以回复的群或私聊，请直接联系居民。`,
    )
  }
  const now = ctx.clock.now()
  const event = await repo.addRequestEvent(ctx.db, {
    requestId: request.id,
    kind: 'replied',
    actorKind: 'staff',
    actorId: actor.staff.id,
    actorName: actor.staff.name,
    note: text,
    data: { conversationId: target.conversationId, isRoom: target.isRoom },
    at: now,
  })
  await enqueueMessages(
    ctx.db,
    [
      {
        ...target,
        text: replyText(request, text, actor.staff.name),
        dedupeKey: `request:${number}:reply:${event.id}`,
      },
    ],
    now,
    { maxChars: ctx.config.send.maxChars },
  )
  await recordAudit(ctx.db, {
    actor,
    action: 'request.reply',
    entity: 'request',
    entityId: number,
    after: { conversationId: target.conversationId, isRoom: target.isRoom, text },
    at: now,
  })
  return { request, conversationId: target.conversationId, isRoom: target.isRoom }
}
