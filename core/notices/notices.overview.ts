import { desc, eq, inArray, like, sql } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client'
import {
  attachments,
  chatGroups,
  constructionSchedules,
  feeNotices,
  notices,
  outbox,
  publicities,
  xiaoqu,
} from '../../db/schema'
import type { StaffRow } from '../shared/actor'

// Read-only views over the four kinds of notice for the console: what is in a viewer's scope, and how far
// each one's messages have gone. The use cases that change them stay in their own files.

export type NoticeKind = 'broadcast' | 'design_publicity' | 'construction' | 'fee'

export interface NoticeListItem {
  kind: NoticeKind
  number: string
  /** A broadcast's text, a publicity's or schedule's title, a fee notice's period. */
  title: string
  placeName: string
  status: string
  createdAt: Date
  /** When it goes (went) out: a publicity's opening. */
  publishAt: Date | null
  /** The outbox batches its posts are written in. */
  batches: string[]
}

/** The batches each kind writes (see the use cases' enqueue calls). */
export function batchesOf(kind: NoticeKind, number: string, feeReminderDays: readonly number[]) {
  switch (kind) {
    case 'broadcast':
      return [`notice:${number}`]
    case 'design_publicity':
      return ['open', 'halfway', 'close'].map((stage) => `publicity:${number}:${stage}`)
    case 'construction':
      return ['publish', 'change', 'eve'].map((stage) => `schedule:${number}:${stage}`)
    case 'fee':
      return [`fee:${number}:publish`, ...feeReminderDays.map((days) => `fee:${number}:remind:${days}`)]
  }
}

/** The prefix every batch of one notice starts with. */
export const batchPrefixOf = (kind: NoticeKind, number: string) =>
  kind === 'broadcast'
    ? `notice:${number}`
    : `${{ design_publicity: 'publicity', construction: 'schedule', fee: 'fee' }[kind]}:${number}:`

const within = (column: Parameters<typeof like>[0], scopePath: string | null) =>
  scopePath === null ? undefined : like(column, `${scopePath}%`)

/**
 * Every notice whose place lies in the viewer's scope, newest first. Property staff see fee notices only:
 * broadcasts, publicities and schedules are the office's (their use cases refuse property staff).
 */
export async function listNotices(
  db: DbOrTx,
  viewer: StaffRow,
  options: { kind?: NoticeKind; limit: number; feeReminderDays: readonly number[] },
) {
  const scope = viewer.role === 'admin' ? null : viewer.scopePath
  const wanted = (kind: NoticeKind) =>
    (options.kind === undefined || options.kind === kind) &&
    (viewer.role !== 'property_staff' || kind === 'fee')
  const limit = options.limit
  const [broadcasts, publicityRows, schedules, fees] = await Promise.all([
    wanted('broadcast')
      ? db
          .select()
          .from(notices)
          .where(within(notices.scopePath, scope))
          .orderBy(desc(notices.createdAt), desc(notices.id))
          .limit(limit)
      : [],
    wanted('design_publicity')
      ? db
          .select({ p: publicities, placeName: xiaoqu.name })
          .from(publicities)
          .innerJoin(xiaoqu, eq(xiaoqu.id, publicities.xiaoquId))
          .where(within(xiaoqu.path, scope))
          .orderBy(desc(publicities.createdAt), desc(publicities.id))
          .limit(limit)
      : [],
    wanted('construction')
      ? db
          .select({ s: constructionSchedules, placeName: xiaoqu.name })
          .from(constructionSchedules)
          .innerJoin(xiaoqu, eq(xiaoqu.id, constructionSchedules.xiaoquId))
          .where(within(xiaoqu.path, scope))
          .orderBy(desc(constructionSchedules.createdAt), desc(constructionSchedules.id))
          .limit(limit)
      : [],
    wanted('fee')
      ? db
          .select({ f: feeNotices, placeName: xiaoqu.name })
          .from(feeNotices)
          .innerJoin(xiaoqu, eq(xiaoqu.id, feeNotices.xiaoquId))
          .where(within(xiaoqu.path, scope))
          .orderBy(desc(feeNotices.createdAt), desc(feeNotices.id))
          .limit(limit)
      : [],
  ])
  const days = options.feeReminderDays
  const items: NoticeListItem[] = [
    ...broadcasts.map((n) => ({
      kind: 'broadcast' as const,
      number: n.number,
      title: n.body,
      placeName: n.scopeName,
      status: n.status,
      createdAt: n.createdAt,
      publishAt: n.publishAt,
      batches: batchesOf('broadcast', n.number, days),
    })),
    ...publicityRows.map(({ p, placeName }) => ({
      kind: 'design_publicity' as const,
      number: p.number,
      title: p.title,
      placeName,
      status: p.status,
      createdAt: p.createdAt,
      publishAt: p.opensAt,
      batches: batchesOf('design_publicity', p.number, days),
    })),
    ...schedules.map(({ s, placeName }) => ({
      kind: 'construction' as const,
      number: s.number,
      title: s.title,
      placeName,
      status: s.status,
      createdAt: s.createdAt,
      publishAt: s.publishedAt ?? s.publishAt,
      batches: batchesOf('construction', s.number, days),
    })),
    ...fees.map(({ f, placeName }) => ({
      kind: 'fee' as const,
      number: f.number,
      title: f.period,
      placeName,
      status: f.status,
      createdAt: f.createdAt,
      publishAt: f.publishAt,
      batches: batchesOf('fee', f.number, days),
    })),
  ]
  items.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || b.number.localeCompare(a.number))
  return items.slice(0, limit)
}

export type DeliveryCounts = Partial<Record<(typeof outbox.$inferSelect)['status'], number>>

/** Messages by state for each of the given batches. */
export async function countsByBatch(db: DbOrTx, batches: readonly string[]) {
  const found = new Map<string, DeliveryCounts>()
  if (batches.length === 0) return found
  const rows = await db
    .select({ batch: outbox.batch, status: outbox.status, n: sql<number>`count(*)::int` })
    .from(outbox)
    .where(inArray(outbox.batch, [...batches]))
    .groupBy(outbox.batch, outbox.status)
  for (const r of rows) found.set(r.batch!, { ...found.get(r.batch!), [r.status]: Number(r.n) })
  return found
}

/** The batches one notice has written so far (those starting with its prefix), oldest first. */
export async function batchesWritten(db: DbOrTx, prefix: string) {
  const rows = await db
    .selectDistinct({ batch: outbox.batch })
    .from(outbox)
    .where(prefix.endsWith(':') ? like(outbox.batch, `${prefix}%`) : eq(outbox.batch, prefix))
  return rows.map((r) => r.batch!).sort()
}

/** The groups' topics and kinds by room id, for naming the rows of a delivery. */
export async function groupsByRoom(db: DbOrTx, roomIds: readonly string[]) {
  if (roomIds.length === 0) return new Map<string, { topic: string; state: string }>()
  const rows = await db
    .select({ roomId: chatGroups.roomId, topic: chatGroups.topic, state: chatGroups.state })
    .from(chatGroups)
    .where(inArray(chatGroups.roomId, [...roomIds]))
  return new Map(rows.map((r) => [r.roomId, { topic: r.topic, state: r.state }]))
}

/** Names and types of stored files (no bytes), in the given order. */
export async function attachmentInfo(db: DbOrTx, ids: readonly number[]) {
  if (ids.length === 0) return []
  const rows = await db
    .select({
      id: attachments.id,
      fileName: attachments.fileName,
      mediaType: attachments.mediaType,
      size: attachments.size,
    })
    .from(attachments)
    .where(inArray(attachments.id, [...ids]))
  return ids.flatMap((id) => rows.filter((r) => r.id === id))
}
