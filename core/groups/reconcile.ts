import { and, asc, eq, isNull } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client'
import { chatGroups, identityIssues, staff } from '../../db/schema'
import { recordAudit } from '../audit/audit'
import type { Deps } from '../shared/deps'
import { moveWechatId } from './groups.repository'

/** What the puppet knows right after a login. */
export interface LoginSnapshot {
  rooms: readonly { id: string; topic: string; memberIds?: readonly string[] }[]
  contacts: readonly { id: string; name: string }[]
}

type Candidate = { id: string; name: string }

/**
 * wechat4u hands out new room and contact ids at every login. A group whose room id is gone follows the
 * one current room with its topic; a staff member whose id is gone follows the one contact with the
 * WeChat name stored at binding. Anything else (no match, several) becomes an open identity issue for an
 * admin: never guessed. Rooms' members are not stored, so there is no member overlap to break a tie with.
 * An empty list is taken as "not loaded yet", not "everything is gone", and that half is skipped.
 */
export async function reconcileAfterLogin(deps: Pick<Deps, 'db' | 'clock' | 'log'>, snapshot: LoginSnapshot) {
  const now = deps.clock.now()
  const result = await deps.db.transaction(async (tx) => {
    const groups = snapshot.rooms.length > 0 ? await reconcileGroups(tx, snapshot.rooms, now) : empty()
    const people = snapshot.contacts.length > 0 ? await reconcileStaff(tx, snapshot.contacts, now) : empty()
    return {
      groupsMoved: groups.moved,
      staffMoved: people.moved,
      issuesOpened: groups.issues + people.issues,
    }
  })
  if (result.groupsMoved + result.staffMoved + result.issuesOpened > 0) {
    deps.log.warn('ids changed at login', result)
  }
  return result
}

const empty = () => ({ moved: 0, issues: 0 })

async function reconcileGroups(tx: DbOrTx, rooms: LoginSnapshot['rooms'], now: Date) {
  const all = await tx.select().from(chatGroups).orderBy(asc(chatGroups.id))
  const current = new Set(rooms.map((r) => r.id))
  const taken = new Set(all.map((g) => g.roomId))
  const lost = all.filter((g) => g.state !== 'left' && !current.has(g.roomId))
  const candidatesOf = new Map(
    lost.map((g) => [
      g.id,
      rooms.filter((r) => r.topic === g.topic && !taken.has(r.id)).map((r) => ({ id: r.id, name: r.topic })),
    ]),
  )
  // Two lost groups with one topic would both claim the same room: neither is moved.
  const claims = new Map<string, number>()
  for (const found of candidatesOf.values()) {
    if (found.length === 1) claims.set(found[0]!.id, (claims.get(found[0]!.id) ?? 0) + 1)
  }
  let moved = 0
  let issues = 0
  for (const group of lost) {
    const found = candidatesOf.get(group.id)!
    if (found.length === 1 && claims.get(found[0]!.id) === 1) {
      await follow(tx, 'group', group.id, group.roomId, found[0]!.id, now)
      moved++
    } else if (await openIssue(tx, 'group', group.id, group.roomId, found, now)) {
      issues++
    }
  }
  return { moved, issues }
}

async function reconcileStaff(tx: DbOrTx, contacts: LoginSnapshot['contacts'], now: Date) {
  const bound = await tx.select().from(staff).where(eq(staff.active, true)).orderBy(asc(staff.id))
  const current = new Set(contacts.map((c) => c.id))
  const taken = new Set(bound.map((s) => s.wechatId).filter((id): id is string => id !== null))
  const lost = bound.filter((s) => s.wechatId !== null && !current.has(s.wechatId))
  let moved = 0
  let issues = 0
  for (const person of lost) {
    const found = person.wechatName
      ? contacts.filter((c) => c.name === person.wechatName && !taken.has(c.id))
      : []
    if (found.length === 1) {
      taken.add(found[0]!.id)
      await follow(tx, 'staff', person.id, person.wechatId!, found[0]!.id, now)
      moved++
    } else if (await openIssue(tx, 'staff', person.id, person.wechatId!, found, now)) {
      issues++
    }
  }
  return { moved, issues }
}

/** The one match found: the subject follows it, audited as the system's doing. */
async function follow(tx: DbOrTx, kind: 'group' | 'staff', id: number, from: string, to: string, now: Date) {
  await moveWechatId(tx, kind, id, from, to)
  await recordAudit(tx, {
    actor: { kind: 'system' },
    action: kind === 'group' ? 'group.room_id_changed' : 'staff.wechat_id_changed',
    entity: kind === 'group' ? 'chat_group' : 'staff',
    entityId: id,
    before: kind === 'group' ? { roomId: from } : { wechatId: from },
    after: kind === 'group' ? { roomId: to } : { wechatId: to },
    at: now,
  })
}

/** One open issue per subject: a later login refreshes its candidates instead of adding another. */
async function openIssue(
  tx: DbOrTx,
  kind: 'group' | 'staff',
  subjectId: number,
  oldWechatId: string,
  candidates: Candidate[],
  now: Date,
) {
  const [existing] = await tx
    .select({ id: identityIssues.id })
    .from(identityIssues)
    .where(
      and(
        eq(identityIssues.kind, kind),
        eq(identityIssues.subjectId, subjectId),
        isNull(identityIssues.resolvedAt),
      ),
    )
  if (existing) {
    await tx.update(identityIssues).set({ candidates }).where(eq(identityIssues.id, existing.id))
    return false
  }
  await tx.insert(identityIssues).values({ kind, subjectId, oldWechatId, candidates, createdAt: now })
  return true
}
