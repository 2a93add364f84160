import { createHash } from 'node:crypto'
import { inArray, sql } from 'drizzle-orm'
import { type DbOrTx, rowsOf } from '../../db/client'
import { attachments, chatGroups, outbox } from '../../db/schema'
import { recordAudit } from '../audit/audit'
import { type Actor, assertRole } from '../shared/actor'
import { AppError, invalid } from '../shared/errors'

export const allowedTypes = {
  'image/png': 'PNG 图片',
  'image/jpeg': 'JPEG 图片',
  'application/pdf': 'PDF 文件',
} as const
export type AttachmentType = keyof typeof allowedTypes

/** The type from the file's first bytes: what a browser or phone claims is not trusted. */
export function detectType(data: Uint8Array): AttachmentType | null {
  const starts = (...bytes: number[]) => bytes.every((b, i) => data[i] === b)
  if (starts(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'image/png'
  if (starts(0xff, 0xd8, 0xff)) return 'image/jpeg'
  if (starts(0x25, 0x50, 0x44, 0x46, 0x2d)) return 'application/pdf'
  return null
}

export const tooLarge = (maxBytes: number) =>
  new AppError(
    'attachments.too_large',
    413,
    `文件不能超过 ${Math.floor(maxBytes / 1024 / 1024)} MB，请压缩后再上传。`,
    { maxBytes },
  )

/** Stores a file for a notice after checking its size and its real type. */
export async function storeAttachment(
  db: DbOrTx,
  actor: Actor & { kind: 'staff' },
  input: { fileName: string; data: Buffer },
  maxBytes: number,
  now: Date,
) {
  assertRole(actor.staff, ['officer', 'community_worker', 'property_staff'])
  if (input.data.length > maxBytes) throw tooLarge(maxBytes)
  if (input.data.length === 0) throw invalid('attachments.empty', '文件是空的。', { fields: ['body'] })
  const mediaType = detectType(input.data)
  if (!mediaType) {
    throw new AppError(
      'attachments.unsupported_type',
      415,
      `只能上传 ${Object.values(allowedTypes).join('、')}。`,
      {
        allowed: Object.keys(allowedTypes),
      },
    )
  }
  const row = await insertAttachment(
    db,
    { fileName: input.fileName, mediaType, data: input.data, uploadedBy: actor.staff.id },
    now,
  )
  await recordAudit(db, {
    actor,
    action: 'attachment.upload',
    entity: 'attachment',
    entityId: row!.id,
    after: row,
    at: now,
  })
  return row!
}

/** Writes a checked file with its size and SHA-256: a notice's upload, a resident's photo or voice. */
export async function insertAttachment(
  db: DbOrTx,
  file: { fileName: string; mediaType: string; data: Buffer; uploadedBy?: number },
  now: Date,
) {
  const [row] = await db
    .insert(attachments)
    .values({
      ...file,
      size: file.data.length,
      sha256: createHash('sha256').update(file.data).digest('hex'),
      createdAt: now,
    })
    .returning({
      id: attachments.id,
      fileName: attachments.fileName,
      mediaType: attachments.mediaType,
      size: attachments.size,
      sha256: attachments.sha256,
    })
  return row!
}

export async function loadAttachment(db: DbOrTx, id: number) {
  const [row] = await db
    .select()
    .from(attachments)
    .where(inArray(attachments.id, [id]))
  return row
}

/** Checks that every id names a stored file; a notice must not point at nothing. */
export async function assertAttachments(db: DbOrTx, ids: readonly number[]) {
  if (ids.length === 0) return
  const rows = await db
    .select({ id: attachments.id })
    .from(attachments)
    .where(inArray(attachments.id, [...ids]))
  const missing = ids.filter((id) => !rows.some((r) => r.id === id))
  if (missing.length > 0)
    throw invalid('attachments.not_found', `没有这些附件：${missing.join('、')}。请先上传。`, {
      fields: ['attachmentIds'],
      missing,
    })
}

/** After a notice's text, its files to the same groups, each once (dedupe key per file and group). */
export async function enqueueFilesToScope(
  db: DbOrTx,
  input: {
    scopePath: string
    attachmentIds: readonly number[]
    dedupeKey: string
    batch: string
    priority: string
    notBefore: Date
  },
) {
  let written = 0
  for (const id of input.attachmentIds) {
    const result = await db.execute(sql`
      with written as (
        insert into ${outbox} (conversation_id, is_room, text, mentions, dedupe_key, not_before, priority, batch, attachment_id, created_at)
        select g.room_id, 1, a.file_name, '[]'::jsonb, ${input.dedupeKey} || ':file:' || a.id || ':room:' || g.room_id,
               ${input.notBefore.toISOString()}::timestamptz, ${input.priority}, ${input.batch}, a.id, ${input.notBefore.toISOString()}::timestamptz
        from ${chatGroups} g cross join ${attachments} a
        where a.id = ${id} and g.kind in ('residents', 'building') and g.state = 'active' and g.scope_path like ${`${input.scopePath}%`}
        order by g.id
        on conflict (dedupe_key) do nothing
        returning 1)
      select count(*)::int as n from written`)
    written += Number(rowsOf<{ n: number }>(result)[0]?.n ?? 0)
  }
  return written
}
