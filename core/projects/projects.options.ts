import { and, asc, eq, inArray, like, or, sql } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client'
import { organisations, staff } from '../../db/schema'
import { listXiaoqu } from '../areas/areas.usecases'
import type { StaffRow } from '../shared/actor'

/** The roles that may answer for a project (`checkParties`). */
export const responsibleRoles: readonly StaffRow['role'][] = ['officer', 'community_worker', 'admin']

export interface PersonChoice {
  id: number
  name: string
  role: StaffRow['role']
  scopePath: string | null
}

/**
 * Active staff whose scope lies inside the viewer's or covers it (their colleagues, those below and the
 * leaders above them); everyone for an admin. The use cases still check each choice.
 */
export function peopleAround(db: DbOrTx, viewer: StaffRow): Promise<PersonChoice[]> {
  const scope = viewer.scopePath
  const related =
    scope === null
      ? undefined
      : or(like(staff.scopePath, `${scope}%`), sql`${scope} like ${staff.scopePath} || '%'`)
  return db
    .select({ id: staff.id, name: staff.name, role: staff.role, scopePath: staff.scopePath })
    .from(staff)
    .where(and(eq(staff.active, true), related))
    .orderBy(asc(staff.name), asc(staff.id))
}

/**
 * What the console's project and task forms offer: the xiaoqu in the viewer's scope, the people around
 * them, and the registered organisations (parties to projects, owners of tasks).
 */
export async function projectChoices(db: DbOrTx, viewer: StaffRow) {
  const [places, people, orgs] = await Promise.all([
    listXiaoqu(db, viewer.scopePath),
    peopleAround(db, viewer),
    db
      .select({ id: organisations.id, name: organisations.name, kind: organisations.kind })
      .from(organisations)
      .orderBy(asc(organisations.name), asc(organisations.id)),
  ])
  return { places, people, organisations: orgs }
}

export type ProjectChoices = Awaited<ReturnType<typeof projectChoices>>

/** The names of staff and organisations by id, for showing who is responsible or owns a task. */
export async function namesOf(
  db: DbOrTx,
  ids: { staff: readonly number[]; organisations: readonly number[] },
) {
  const staffIds = [...new Set(ids.staff)]
  const orgIds = [...new Set(ids.organisations)]
  const [people, orgs] = await Promise.all([
    staffIds.length === 0
      ? []
      : db.select({ id: staff.id, name: staff.name }).from(staff).where(inArray(staff.id, staffIds)),
    orgIds.length === 0
      ? []
      : db
          .select({ id: organisations.id, name: organisations.name })
          .from(organisations)
          .where(inArray(organisations.id, orgIds)),
  ])
  return {
    staff: new Map(people.map((p) => [p.id, p.name])),
    organisations: new Map(orgs.map((o) => [o.id, o.name])),
  }
}

export type Names = Awaited<ReturnType<typeof namesOf>>
