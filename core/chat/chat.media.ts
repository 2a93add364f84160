import { and, eq, gte } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client'
import { inboundMessages, residents } from '../../db/schema'
import { attachPhoto, photoTarget, photoWindowMs, storeChatFile } from '../requests/photos'
import * as text from './chat.messages'
import { quotedNumbers } from './chat.parser'
import type { ChatContext, CommandResult, Inbound, Who } from './chat.types'

type InboundFile = { fileName: string; data: Buffer }

/**
 * Images, voice and the kinds the bot cannot read. A photo right after filing (or quoting the filing
 * reply) joins that request; other images and voice get a hint to write, at most once per window per
 * person; stickers, links and the like are silence in groups and a one-line hint in a private chat.
 */
export async function respondToMedia(
  ctx: ChatContext,
  inbound: Inbound,
  who: Who,
  file: InboundFile | undefined,
): Promise<CommandResult> {
  const botName = ctx.config.botName
  const inRoom = Boolean(inbound.roomId)
  if (inbound.kind === 'other')
    return inRoom ? { outcome: 'ignored' } : { outcome: 'other:hint', message: text.onlyText }
  if (who.group?.kind === 'officers') {
    await keep(ctx, inbound, file)
    return { outcome: 'ignored' }
  }
  const now = ctx.clock.now()
  if (inbound.kind === 'voice') {
    await keep(ctx, inbound, file)
    if (inRoom && (await saidRecently(ctx.db, inbound, 'voice:hint', now, groupHintWindowMs)))
      return { outcome: 'voice:kept' }
    return { outcome: 'voice:hint', message: text.voiceHint(botName, inRoom) }
  }
  const [resident] = await ctx.db.select().from(residents).where(eq(residents.wechatId, inbound.senderId))
  const quotedNumber = inbound.quote?.fromBot ? quotedNumbers(inbound.quote.text).request : undefined
  const target = resident
    ? await photoTarget(ctx.db, { residentId: resident.id, groupId: who.group?.id, quotedNumber, now })
    : undefined
  const attachmentId = await keep(ctx, inbound, file, target?.number)
  if (target && attachmentId) {
    await attachPhoto(ctx, target, { attachmentId, inboundMessageId: inbound.id, now })
    return {
      outcome: `photo:${target.number}`,
      message: `已将照片补充到诉求 ${target.number}。`,
      // One acknowledgement per request: a resident sending five photos hears it once.
      replyKey: `request:${target.number}:photo-ack`,
    }
  }
  if (target) {
    return {
      outcome: 'image:unreadable',
      message: text.photoUnreadable(ctx.config.attachmentMaxBytes),
      replyKey: `request:${target.number}:photo-unreadable`,
    }
  }
  const window = inRoom ? groupHintWindowMs : photoWindowMs
  if (await saidRecently(ctx.db, inbound, 'image:hint', now, window)) return { outcome: 'image:kept' }
  return { outcome: 'image:hint', message: text.imageHint(botName, inRoom) }
}

/** Stores the message's file, if any and acceptable, and links it to the inbound row. */
async function keep(
  ctx: ChatContext,
  inbound: Inbound,
  file: InboundFile | undefined,
  requestNumber?: string,
) {
  if (!file || (inbound.kind !== 'image' && inbound.kind !== 'voice')) return undefined
  const fileName = requestNumber ? `${requestNumber}-${file.fileName}` : file.fileName
  const stored = await storeChatFile(
    ctx.db,
    { fileName, data: file.data, kind: inbound.kind },
    ctx.config.attachmentMaxBytes,
    ctx.clock.now(),
  )
  if ('refused' in stored) {
    ctx.log.warn('inbound file not kept', {
      messageId: inbound.id,
      why: stored.refused,
      size: file.data.length,
    })
    return undefined
  }
  await ctx.db
    .update(inboundMessages)
    .set({ attachmentId: stored.id })
    .where(eq(inboundMessages.messageId, inbound.id))
  return stored.id
}

/**
 * In a group people share photos and voice with each other all day: the bot, which was not spoken to,
 * hints at most once a day a person there (in a private chat, once per photo window).
 */
const groupHintWindowMs = 24 * 60 * 60_000

/** Whether the same person got this outcome within the window: such hints are given once per window. */
async function saidRecently(
  db: DbOrTx,
  inbound: Inbound,
  outcome: string,
  now: Date,
  windowMs = photoWindowMs,
) {
  const [row] = await db
    .select({ id: inboundMessages.messageId })
    .from(inboundMessages)
    .where(
      and(
        eq(inboundMessages.senderId, inbound.senderId),
        eq(inboundMessages.outcome, outcome),
        gte(inboundMessages.receivedAt, new Date(now.getTime() - windowMs)),
      ),
    )
    .limit(1)
  return Boolean(row)
}
