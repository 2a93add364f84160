import { listAreas, listXiaoqu } from '../../core/areas/areas.usecases'
import { belongingOf, mayUse } from '../../core/notices/attachments'
import { attachmentInfo } from '../../core/notices/notices.overview'
import { type StaffRow, scopeCovers } from '../../core/shared/actor'
import { invalid } from '../../core/shared/errors'
import type { DbOrTx } from '../../db/client'
import { shanghaiInput } from './kit'
import type { Option } from './notices.compose'

// Reading the notice forms: multipart or urlencoded bodies, repeated fields, times and ids.

export type Body = Record<string, string | File | (string | File)[]>

/** The field as typed (trimmed, cut to `max`), for showing the form again. */
export function typed(body: Body, name: string, max = 2_000) {
  const value = body[name]
  const first = Array.isArray(value) ? value[0] : value
  return typeof first === 'string' ? first.trim().slice(0, max) : ''
}

/** Every value of a repeated field (checkboxes, files). */
export function every(body: Body, name: string): (string | File)[] {
  const value = body[name]
  return value === undefined ? [] : Array.isArray(value) ? value : [value]
}

/** A required field: blank is a 400 saying what to fill in; too long a 400 naming the limit. */
export function required(value: string, max: number, label: string, example = '') {
  if (!value) throw invalid('console.required', `请填写${label}${example ? `，如${example}` : ''}。`)
  if (value.length > max) throw invalid('console.too_long', `${label}不超过 ${max} 字。`)
  return value
}

/** An optional field: blank is undefined, too long a 400 naming the limit. */
export function optional(value: string, max: number, label: string) {
  if (value.length > max) throw invalid('console.too_long', `${label}不超过 ${max} 字。`)
  return value || undefined
}

/** A datetime-local value as a Shanghai instant; blank is undefined unless `needed`. */
export function timeOf(raw: string, label: string, needed = false): Date | undefined {
  if (!raw) {
    if (needed) throw invalid('console.time_required', `请填写${label}（日期和时间）。`)
    return undefined
  }
  try {
    return shanghaiInput(raw)
  } catch {
    throw invalid('console.bad_time', `${label}的格式不对，请选择日期和时间，如 2026-03-20 18:00。`)
  }
}

/** A positive id from a select, or a 400 asking for the choice. */
export function idOf(raw: string, label: string) {
  if (!/^\d{1,9}$/.test(raw) || Number(raw) === 0)
    throw invalid('console.choice_required', `请选择${label}。`)
  return Number(raw)
}

export const maxAttachments = 9

/** The already uploaded files the form carries (ticked checkboxes). */
export function keptIds(body: Body) {
  const ids = every(body, 'attachmentIds')
    .filter((v): v is string => typeof v === 'string' && /^\d{1,9}$/.test(v))
    .map(Number)
  return [...new Set(ids)]
}

/** Files chosen in the picker (a browser sends an empty one when none is chosen). */
export const chosenFiles = (body: Body) =>
  every(body, 'files').filter((f): f is File => typeof f !== 'string' && f.size > 0)

/** The files of `ids` the viewer may see, for listing on the form again (another scope's stay unnamed). */
export async function filesFor(db: DbOrTx, viewer: StaffRow, ids: readonly number[]) {
  const belonging = await belongingOf(db, ids)
  return attachmentInfo(
    db,
    ids.filter((id) => belonging.has(id) && mayUse(viewer, belonging.get(id)!)),
  )
}

const areaKindNames = { district: '区', street: '街道', community: '社区' } as const

/** The areas and xiaoqu a broadcast may go to: within the viewer's scope. */
export async function targetsFor(db: DbOrTx, viewer: StaffRow): Promise<Option[]> {
  const [areaRows, places] = await Promise.all([
    listAreas(db, viewer.scopePath),
    listXiaoqu(db, viewer.scopePath),
  ])
  return [
    ...areaRows
      .filter((a) => scopeCovers(viewer.scopePath, a.path))
      .map((a) => ({ value: `a${a.id}`, text: `${areaKindNames[a.kind]}：${a.name}` })),
    ...places.map((x) => ({ value: `x${x.id}`, text: `小区：${x.communityName} ${x.name}` })),
  ]
}

export async function placesFor(db: DbOrTx, viewer: StaffRow): Promise<Option[]> {
  const places = await listXiaoqu(db, viewer.scopePath)
  return places.map((x) => ({ value: String(x.id), text: `${x.communityName} ${x.name}` }))
}

/** 'a12' → an area, 'x5' → a xiaoqu. */
export function targetOf(raw: string): { areaId: number } | { xiaoquId: number } {
  const match = /^([ax])(\d{1,9})$/.exec(raw)
  if (!match) throw invalid('console.target_required', '请选择发到哪个社区、街道或小区。')
  return match[1] === 'a' ? { areaId: Number(match[2]) } : { xiaoquId: Number(match[2]) }
}

/** '1.5' yuan → 150 fen, by string, never through a float. */
export function fenOf(raw: string) {
  const match = /^(\d{1,4})(?:\.(\d{1,2}))?$/.exec(raw)
  const fen = match ? Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0')) : 0
  if (!match || fen <= 0 || fen > 100_000) {
    throw invalid('console.bad_fee', '收费标准请填写大于 0 的金额（元/㎡/月），最多两位小数，如 1.50。')
  }
  return fen
}

/** Building names typed with 、 , or spaces between them. */
export const buildingList = (raw: string) =>
  raw
    .split(/[、,，;；\s]+/)
    .map((b) => b.trim())
    .filter(Boolean)
