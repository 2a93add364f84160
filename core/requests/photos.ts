import { and, asc, desc, eq, gte, inArray, isNull } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client'
import { attachments, requestPhotos, requests } from '../../db/schema'
import { detectType, insertAttachment } from '../notices/attachments'
import { enqueueMessages, type OutgoingMessage } from '../outbox/outbox.repository'
import * as repo from './requests.repository'

/** A photo sent within this long after filing is taken as part of the request (补充照片). */
export const photoWindowMs = 10 * 60_000

const voiceTypes: Record<string, string> = {
  silk: 'audio/silk',
  sil: 'audio/silk',
  amr: 'audio/amr',
  mp3: 'audio/mpeg',
}

/**
 * Keeps a chat file: an image only when its bytes are PNG or JPEG, a voice by its extension; none over the
 * size limit. Returns the attachment id, or why it was not kept.
 */
export async function storeChatFile(
  db: DbOrTx,
  file: { fileName: string; data: Buffer; kind: 'image' | 'voice' },
  maxBytes: number,
  now: Date,
): Promise<{ id: number } | { refused: 'empty' | 'too-large' | 'not-an-image' }> {
  if (file.data.length === 0) return { refused: 'empty' }
  if (file.data.length > maxBytes) return { refused: 'too-large' }
  const sniffed = detectType(file.data)
  const extension = file.fileName.split('.').pop()?.toLowerCase() ?? ''
  const mediaType =
    file.kind === 'image'
      ? sniffed?.startsWith('image/')
        ? sniffed
        : undefined
      : (voiceTypes[extension] ?? 'application/octet-stream')
  if (!mediaType) return { refused: 'not-an-image' }
  const row = await insertAttachment(
    db,
    {
      fileName: file.fileName.slice(0, 200) || (file.kind === 'image' ? 'photo' : 'voice'),
      mediaType,
      data: file.data,
    },
    now,
  )
  return { id: row.id }
}

/**
 * The request a resident's photo belongs to: the one a quoted bot reply names (theirs, not closed), else
 * the one they filed in the same conversation within the photo window.
 */
export async function photoTarget(
  db: DbOrTx,
  input: { residentId: number; groupId: number | undefined; quotedNumber?: string; now: Date },
) {
  if (input.quotedNumber) {
    const quoted = await repo.findRequestByNumber(db, input.quotedNumber)
    if (quoted && quoted.residentId === input.residentId && quoted.status !== 'closed') return quoted
  }
  const [recent] = await db
    .select()
    .from(requests)
    .where(
      and(
        eq(requests.residentId, input.residentId),
        input.groupId ? eq(requests.groupId, input.groupId) : isNull(requests.groupId),
        eq(requests.channel, 'wechat'),
        gte(requests.createdAt, new Date(input.now.getTime() - photoWindowMs)),
      ),
    )
    .orderBy(desc(requests.id))
    .limit(1)
  return recent
}

/**
 * Links a stored photo to a request (once per WeChat message) and forwards it to whoever holds the
 * request: the assignee's WeChat privately, else the officers' groups that got it.
 */
export async function attachPhoto(
  ctx: { db: DbOrTx; config: { send: { maxChars: number } } },
  request: repo.RequestRow,
  input: { attachmentId: number; inboundMessageId: string; now: Date },
) {
  const [photo] = await ctx.db
    .insert(requestPhotos)
    .values({
      requestId: request.id,
      attachmentId: input.attachmentId,
      inboundMessageId: input.inboundMessageId,
      createdAt: input.now,
    })
    .onConflictDoNothing()
    .returning()
  if (!photo) return undefined
  const context = await repo.loadRequestContext(ctx.db, request)
  const targets = context.assignee?.wechatId
    ? [{ conversationId: context.assignee.wechatId, isRoom: false }]
    : context.xiaoqu
      ? (await repo.officerGroupsCovering(ctx.db, context.xiaoqu.path)).map((g) => ({
          conversationId: g.roomId,
          isRoom: true,
        }))
      : []
  const outgoing: OutgoingMessage[] = targets.map((t) => ({
    ...t,
    text: `诉求 ${request.number} 居民补充的照片`,
    attachmentId: input.attachmentId,
    dedupeKey: `request:${request.number}:photo:${photo.id}:to:${t.conversationId}`,
  }))
  await enqueueMessages(ctx.db, outgoing, input.now, { maxChars: ctx.config.send.maxChars })
  return photo
}

/** A request's photos, oldest first, without their bytes. */
export async function listPhotos(db: DbOrTx, requestIds: readonly number[]) {
  if (requestIds.length === 0) return []
  return db
    .select({
      id: requestPhotos.id,
      requestId: requestPhotos.requestId,
      createdAt: requestPhotos.createdAt,
      size: attachments.size,
    })
    .from(requestPhotos)
    .innerJoin(attachments, eq(attachments.id, requestPhotos.attachmentId))
    .where(inArray(requestPhotos.requestId, [...requestIds]))
    .orderBy(asc(requestPhotos.id))
}

/** One photo of one request, with its bytes; undefined when the photo is not that request's. */
export async function loadPhoto(db: DbOrTx, requestId: number, photoId: number) {
  const [row] = await db
    .select({ mediaType: attachments.mediaType, data: attachments.data, size: attachments.size })
    .from(requestPhotos)
    .innerJoin(attachments, eq(attachments.id, requestPhotos.attachmentId))
    .where(and(eq(requestPhotos.id, photoId), eq(requestPhotos.requestId, requestId)))
  return row
}
