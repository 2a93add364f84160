import { createHash } from 'node:crypto'
import { eq, inArray, sql } from 'drizzle-orm'
import { type DbOrTx, rowsOf } from '../../db/client'
import { attachments, chatGroups, outbox, requestPhotos, requests, staff, xiaoqu } from '../../db/schema'
import { recordAudit } from '../audit/audit'
import { type Actor, assertRole, type StaffRow, scopeCovers } from '../shared/actor'
import { AppError, forbidden, invalid, notFound } from '../shared/errors'

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

/**
 * Where a stored file belongs, derived at check time from what is already recorded:
 * - `staff`: uploaded by a staff member, it belongs to their scope (`scopePath` null: an admin's, city-wide);
 * - `request`: a resident's photo, it belongs to the xiaoqu of the request(s) it was sent for;
 * - `none`: kept from a chat but never linked to anything: admins only.
 */
export type Belonging =
  | { kind: 'staff'; uploadedBy: number; scopePath: string | null }
  | { kind: 'request'; requests: { xiaoquPath: string | null; assigneeStaffId: number | null }[] }
  | { kind: 'none' }

/** Where each of the given files belongs; ids that name no file are absent from the map. */
export async function belongingOf(db: DbOrTx, ids: readonly number[]) {
  const found = new Map<number, Belonging>()
  if (ids.length === 0) return found
  const [files, photos] = await Promise.all([
    db
      .select({
        id: attachments.id,
        uploadedBy: attachments.uploadedBy,
        role: staff.role,
        scopePath: staff.scopePath,
      })
      .from(attachments)
      .leftJoin(staff, eq(staff.id, attachments.uploadedBy))
      .where(inArray(attachments.id, [...ids])),
    db
      .select({
        attachmentId: requestPhotos.attachmentId,
        xiaoquPath: xiaoqu.path,
        assigneeStaffId: requests.assigneeStaffId,
      })
      .from(requestPhotos)
      .innerJoin(requests, eq(requests.id, requestPhotos.requestId))
      .leftJoin(xiaoqu, eq(xiaoqu.id, requests.xiaoquId))
      .where(inArray(requestPhotos.attachmentId, [...ids])),
  ])
  for (const f of files) {
    const linked = photos.filter((p) => p.attachmentId === f.id)
    found.set(
      f.id,
      f.uploadedBy !== null && f.role
        ? { kind: 'staff', uploadedBy: f.uploadedBy, scopePath: f.role === 'admin' ? null : f.scopePath }
        : linked.length > 0
          ? { kind: 'request', requests: linked }
          : { kind: 'none' },
    )
  }
  return found
}

/**
 * Whether a staff member may use (attach to a notice, download) a file: their scope must cover the file's.
 * A resident's photo is for whoever may see its request (property staff: the one who holds it).
 */
export function mayUse(viewer: StaffRow, belonging: Belonging) {
  if (viewer.role === 'admin') return true
  switch (belonging.kind) {
    case 'staff':
      return belonging.uploadedBy === viewer.id || scopeCovers(viewer.scopePath, belonging.scopePath)
    case 'request':
      return belonging.requests.some((r) =>
        viewer.role === 'property_staff'
          ? r.assigneeStaffId === viewer.id
          : scopeCovers(viewer.scopePath, r.xiaoquPath),
      )
    case 'none':
      return false
  }
}

/** Whether a file may go to the groups of `targetPath`: only within where it belongs. */
export function fitsTarget(belonging: Belonging, targetPath: string) {
  switch (belonging.kind) {
    case 'staff':
      return scopeCovers(belonging.scopePath, targetPath)
    case 'request':
      return belonging.requests.some((r) => r.xiaoquPath !== null && targetPath.startsWith(r.xiaoquPath))
    case 'none':
      return false
  }
}

const outOfScope = (ids: number[]) =>
  forbidden(
    'attachments.out_of_scope',
    `附件 ${ids.join('、')} 不在您的管辖范围内，不能使用。请上传您自己的文件。`,
    { fields: ['attachmentIds'], ids },
  )

/**
 * Checks that every id names a stored file (a notice must not point at nothing) that the actor may use
 * and that belongs where the notice goes (`targetPath`, the notice's scope).
 */
export async function assertAttachments(
  db: DbOrTx,
  ids: readonly number[],
  actor?: Actor & { kind: 'staff' },
  targetPath?: string,
) {
  if (ids.length === 0) return
  const found = await belongingOf(db, ids)
  const missing = ids.filter((id) => !found.has(id))
  if (missing.length > 0)
    throw invalid('attachments.not_found', `没有这些附件：${missing.join('、')}。请先上传。`, {
      fields: ['attachmentIds'],
      missing,
    })
  if (actor) {
    const refused = ids.filter((id) => !mayUse(actor.staff, found.get(id)!))
    if (refused.length > 0) throw outOfScope(refused)
  }
  if (targetPath !== undefined) {
    const elsewhere = ids.filter((id) => !fitsTarget(found.get(id)!, targetPath))
    if (elsewhere.length > 0) {
      throw forbidden(
        'attachments.out_of_target',
        `附件 ${elsewhere.join('、')} 属于其他范围，不能发到这里。请上传适用于本范围的文件。`,
        { fields: ['attachmentIds'], ids: elsewhere },
      )
    }
  }
}

/** A stored file with its bytes for a staff member who may use it: 404 when there is none, 403 when not theirs. */
export async function loadAttachmentFor(db: DbOrTx, viewer: StaffRow, id: number) {
  const belonging = (await belongingOf(db, [id])).get(id)
  if (!belonging) throw notFound('attachments.not_found', `没有编号为 ${id} 的附件。`, { id })
  if (!mayUse(viewer, belonging)) throw outOfScope([id])
  return (await loadAttachment(db, id))!
}

/**
 * The SQL twin of `fitsTarget` for the sender's side: the scope path a file belongs to ('/' for an admin's
 * file, a request's xiaoqu for a resident's photo, null when it belongs nowhere).
 */
const belongingPath = sql`coalesce(
  (select case when s.role = 'admin' then '/' else s.scope_path end from ${staff} s where s.id = a.uploaded_by),
  (select min(x.path) from ${requestPhotos} rp join ${requests} r on r.id = rp.request_id
     join ${xiaoqu} x on x.id = r.xiaoqu_id where rp.attachment_id = a.id))`

/**
 * After a notice's text, its files to the same groups, each once (dedupe key per file and group). A file is
 * sent only within the scope it belongs to (see `fitsTarget`), whoever attached it.
 */
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
          and left(${input.scopePath}, length(${belongingPath})) = ${belongingPath}
        order by g.id
        on conflict (dedupe_key) do nothing
        returning 1)
      select count(*)::int as n from written`)
    written += Number(rowsOf<{ n: number }>(result)[0]?.n ?? 0)
  }
  return written
}
