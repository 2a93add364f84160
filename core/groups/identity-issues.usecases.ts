import { and, desc, eq, inArray, isNull, ne } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client'
import { chatGroups, identityIssues, staff } from '../../db/schema'
import { recordAudit } from '../audit/audit'
import { type Actor, assertRole } from '../shared/actor'
import { conflict, notFound } from '../shared/errors'
import { moveWechatId } from './groups.repository'

export type IdentityIssueRow = typeof identityIssues.$inferSelect

/** Open issues (admins), newest first, each with what its subject is called. */
export async function listOpenIdentityIssues(db: DbOrTx, actor: Actor & { kind: 'staff' }) {
  assertRole(actor.staff, [])
  const issues = await db
    .select()
    .from(identityIssues)
    .where(isNull(identityIssues.resolvedAt))
    .orderBy(desc(identityIssues.id))
    .limit(500)
  const ids = (kind: 'group' | 'staff') => issues.filter((i) => i.kind === kind).map((i) => i.subjectId)
  const [groups, people] = await Promise.all([
    ids('group').length
      ? db
          .select({ id: chatGroups.id, name: chatGroups.topic })
          .from(chatGroups)
          .where(inArray(chatGroups.id, ids('group')))
      : [],
    ids('staff').length
      ? db
          .select({ id: staff.id, name: staff.name })
          .from(staff)
          .where(inArray(staff.id, ids('staff')))
      : [],
  ])
  const names = {
    group: new Map(groups.map((g) => [g.id, g.name])),
    staff: new Map(people.map((p) => [p.id, p.name])),
  }
  return issues.map((issue) => ({ issue, subjectName: names[issue.kind].get(issue.subjectId) ?? null }))
}

export type ListedIdentityIssue = Awaited<ReturnType<typeof listOpenIdentityIssues>>[number]

/**
 * An admin settles an issue: the subject takes the chosen id (a candidate, or any id the admin knows),
 * and messages still waiting for the old id follow it; or the issue is dismissed and nothing changes.
 */
export async function resolveIdentityIssue(
  ctx: { db: DbOrTx; clock: { now(): Date } },
  actor: Actor & { kind: 'staff' },
  id: number,
  decision: { wechatId: string } | { dismiss: true },
) {
  assertRole(actor.staff, [])
  const [issue] = await ctx.db.select().from(identityIssues).where(eq(identityIssues.id, id)).for('update')
  if (!issue) throw notFound('identity_issues.not_found', `没有编号为 ${id} 的身份问题。`)
  if (issue.resolvedAt) throw conflict('identity_issues.resolved', '这个问题已经处理过了。')
  const now = ctx.clock.now()
  const wechatId = 'wechatId' in decision ? decision.wechatId.trim() : null
  let before: string | null = null
  if (wechatId && issue.kind === 'group') {
    const [group] = await ctx.db.select().from(chatGroups).where(eq(chatGroups.id, issue.subjectId))
    if (!group) throw notFound('groups.not_found', `没有编号为 ${issue.subjectId} 的群。`)
    const [other] = await ctx.db
      .select({ topic: chatGroups.topic })
      .from(chatGroups)
      .where(and(eq(chatGroups.roomId, wechatId), ne(chatGroups.id, group.id)))
    if (other) throw conflict('identity_issues.taken', `这个群 ID 已属于另一个群「${other.topic}」。`)
    before = group.roomId
  } else if (wechatId) {
    const [person] = await ctx.db.select().from(staff).where(eq(staff.id, issue.subjectId))
    if (!person) throw notFound('staff.not_found', `没有编号为 ${issue.subjectId} 的工作人员。`)
    const [other] = await ctx.db
      .select({ name: staff.name })
      .from(staff)
      .where(and(eq(staff.wechatId, wechatId), ne(staff.id, person.id)))
    if (other) throw conflict('identity_issues.taken', `这个微信 ID 已绑定到工作人员"${other.name}"。`)
    before = person.wechatId
  }
  if (wechatId) await moveWechatId(ctx.db, issue.kind, issue.subjectId, before, wechatId)
  const [resolved] = await ctx.db
    .update(identityIssues)
    .set({ resolvedAt: now, resolvedBy: actor.staff.id, resolution: wechatId })
    .where(eq(identityIssues.id, id))
    .returning()
  await recordAudit(ctx.db, {
    actor,
    action: wechatId ? 'identity_issue.resolve' : 'identity_issue.dismiss',
    entity: 'identity_issue',
    entityId: id,
    before: { kind: issue.kind, subjectId: issue.subjectId, wechatId: before ?? issue.oldWechatId },
    after: { wechatId },
    at: now,
  })
  return resolved!
}
