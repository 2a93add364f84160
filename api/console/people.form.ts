import { z } from 'zod'
import { listAreas, listXiaoqu } from '../../core/areas/areas.usecases'
import { invalid, notFound } from '../../core/shared/errors'
import type { DbOrTx } from '../../db/client'

/** A console form read through a zod schema: the first problem becomes a 400 with its Chinese message. */
export function parseForm<T extends z.ZodType>(schema: T, body: Record<string, unknown>): z.infer<T> {
  const strings = Object.fromEntries(
    Object.entries(body).map(([key, value]) => [key, typeof value === 'string' ? value.trim() : undefined]),
  )
  const parsed = schema.safeParse(strings)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw invalid('console.bad_form', issue?.message ?? '表单填写有误，请检查后重试。', {
      fields: parsed.error.issues.map((i) => i.path.join('.')),
    })
  }
  return parsed.data
}

/** A path-parameter id, or a 404 naming `what`. */
export function pathId(raw: string, what: string) {
  if (!/^\d{1,9}$/.test(raw))
    throw notFound('console.not_found', `没有找到编号为 ${raw.slice(0, 20)} 的${what}。`)
  return Number(raw)
}

/** An optional id chosen in a select: '' is none. */
export const optionalId = (message: string) =>
  z
    .string()
    .regex(/^\d{0,9}$/, message)
    .optional()
    .transform((v) => (v ? Number(v) : undefined))

export interface PlaceNames {
  areas: ReadonlyMap<number, string>
  xiaoqu: ReadonlyMap<number, string>
}

/** What a scope path names: its last area or xiaoqu; null is the whole city. */
export function scopeName(path: string | null, names: PlaceNames): string {
  if (path === null) return '全市'
  const match = /\/(x?)(\d+)\/$/.exec(path)
  if (!match) return path
  const id = Number(match[2])
  return (match[1] ? names.xiaoqu.get(id) : names.areas.get(id)) ?? path
}

const areaKindNames = { district: '区', street: '街道', community: '社区' } as const

/** The names of the areas and xiaoqu a staff member sees, and the scopes they may be given. */
export async function placesFor(db: DbOrTx, scopePath: string | null) {
  const [areas, places] = await Promise.all([listAreas(db, scopePath), listXiaoqu(db, scopePath)])
  const names: PlaceNames = {
    areas: new Map(areas.map((a) => [a.id, a.name])),
    xiaoqu: new Map(places.map((x) => [x.id, x.name])),
  }
  const inScope = areas.filter((a) => scopePath === null || a.path.startsWith(scopePath))
  const scopes: { value: string; text: string }[] = [
    ...inScope.map((a) => ({ value: `a${a.id}`, text: `${areaKindNames[a.kind]} · ${a.name}` })),
    ...places.map((x) => ({ value: `x${x.id}`, text: `小区 · ${x.name}（${x.communityName}）` })),
  ]
  return { areas, places, names, scopes }
}
