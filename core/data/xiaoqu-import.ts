import { and, eq, inArray, like } from 'drizzle-orm'
import type { DbOrTx } from '../../db/client'
import { areas, xiaoqu } from '../../db/schema'
import { createXiaoqu } from '../areas/areas.usecases'
import { recordAudit } from '../audit/audit'
import { type Actor, assertRole } from '../shared/actor'
import type { Clock } from '../shared/clock'
import { AppError, invalid } from '../shared/errors'
import { wellFormed } from '../shared/unicode'
import { maxImportRows } from './spreadsheet'

type StaffActor = Actor & { kind: 'staff' }

type Column = 'community' | 'name' | 'address' | 'buildYear'

/** Column names as people write them. */
const headerAliases: Record<string, Column> = {
  社区: 'community',
  所属社区: 'community',
  community: 'community',
  小区: 'name',
  小区名称: 'name',
  名称: 'name',
  name: 'name',
  地址: 'address',
  小区地址: 'address',
  address: 'address',
  建成年份: 'buildYear',
  建成年代: 'buildYear',
  建成时间: 'buildYear',
  建成年: 'buildYear',
  buildyear: 'buildYear',
}

const columnNames: Record<Column, string> = {
  community: '社区',
  name: '小区名称',
  address: '地址',
  buildYear: '建成年份',
}

export const xiaoquTemplate = {
  header: ['社区', '小区名称', '地址', '建成年份'],
  rows: [['农光里社区', '农光里小区', '朝阳区农光里 1–20 号楼', '1985']],
}

export interface XiaoquImportRow {
  line: number
  communityId: number
  communityName: string
  name: string
  address?: string
  buildYear?: number
}

export interface XiaoquImportReport {
  imported: number
  rejected: { line: number; reasons: string[] }[]
}

const unsavable = (value: string) => value.includes('\u0000') || wellFormed(value) !== value

/** '1985', '1985年' or an Excel date read as '1985-01-01': the year, or a reason. */
function yearOf(raw: string, thisYear: number): number | string | undefined {
  if (raw === '') return undefined
  const match = /^(\d{4})(?:年|-\d{1,2}-\d{1,2}(?: \d{2}:\d{2})?)?$/.exec(raw)
  const year = match ? Number(match[1]) : Number.NaN
  if (!(year >= 1900 && year <= thisYear)) return `建成年份应为 1900 到 ${thisYear} 之间的四位年份，如 1985`
  return year
}

/**
 * Checks the records of a xiaoqu import (header row first) against the viewer's scope: each community is
 * named as it is called within the scope, each new xiaoqu once, none that its community already has.
 */
export async function previewXiaoquImport(
  db: DbOrTx,
  clock: Clock,
  actor: StaffActor,
  records: string[][],
  lines?: number[],
) {
  assertRole(actor.staff, ['officer'])
  const [header, ...rows] = records
  const columns = (header ?? []).map(
    (h) => headerAliases[h.trim()] ?? headerAliases[h.trim().toLowerCase().replace(/[\s_]/g, '')],
  )
  const missing = (['community', 'name'] as const).filter((c) => !columns.includes(c))
  if (!header || missing.length > 0) {
    throw invalid(
      'xiaoqu_import.bad_header',
      `表头缺少：${missing.map((c) => columnNames[c]).join('、')}。表头应为：社区,小区名称,地址,建成年份`,
      { missing },
    )
  }
  if (rows.length === 0) throw invalid('xiaoqu_import.empty', '文件只有表头，没有小区。')
  if (rows.length > maxImportRows) {
    throw invalid('xiaoqu_import.too_many', `一次最多导入 ${maxImportRows} 个小区，请分批导入。`)
  }
  const raws = rows.map((cells) => {
    const raw: Partial<Record<Column, string>> = {}
    columns.forEach((c, j) => {
      if (c) raw[c] = (cells[j] ?? '').trim()
    })
    return raw
  })
  const scope = actor.staff.scopePath
  const names = [...new Set(raws.map((r) => r.community).filter((n): n is string => !!n))]
  const communities = names.length
    ? await db
        .select({ id: areas.id, name: areas.name })
        .from(areas)
        .where(
          and(
            eq(areas.kind, 'community'),
            inArray(areas.name, names),
            scope ? like(areas.path, `${scope}%`) : undefined,
          ),
        )
    : []
  const byName = new Map<string, { id: number; name: string }[]>()
  for (const c of communities) byName.set(c.name, [...(byName.get(c.name) ?? []), c])
  const ids = communities.map((c) => c.id)
  const existing = ids.length
    ? await db
        .select({ communityId: xiaoqu.communityId, name: xiaoqu.name })
        .from(xiaoqu)
        .where(inArray(xiaoqu.communityId, ids))
    : []
  const taken = new Set(existing.map((x) => `${x.communityId}\u0000${x.name}`))
  const seen = new Map<string, number>()
  const thisYear = Number(
    new Intl.DateTimeFormat('en', { timeZone: 'Asia/Shanghai', year: 'numeric' }).format(clock.now()),
  )
  const good: XiaoquImportRow[] = []
  const rejected: XiaoquImportReport['rejected'] = []
  raws.forEach((raw, i) => {
    const line = lines?.[i + 1] ?? i + 2
    const reasons: string[] = []
    for (const [column, value] of Object.entries(raw)) {
      if (unsavable(value)) {
        reasons.push(`${columnNames[column as Column]}含有无法保存的字符（NUL 或残缺的表情符号），请删去`)
      }
    }
    const community = raw.community ?? ''
    const name = raw.name ?? ''
    const address = raw.address ?? ''
    if (!community) reasons.push('社区为空')
    else if (community.length > 50) reasons.push('社区名称过长')
    if (!name) reasons.push('小区名称为空')
    else if (name.length > 50) reasons.push('小区名称不超过 50 字')
    if (address.length > 200) reasons.push('地址不超过 200 字')
    const year = yearOf(raw.buildYear ?? '', thisYear)
    if (typeof year === 'string') reasons.push(year)
    const found = community ? (byName.get(community) ?? []) : []
    if (community && community.length <= 50 && found.length === 0) {
      reasons.push(`您的管辖范围内没有名为“${community}”的社区，请核对社区名称`)
    } else if (found.length > 1) {
      reasons.push(`管辖范围内有 ${found.length} 个名为“${community}”的社区，无法确定是哪一个，请联系管理员`)
    }
    const place = found.length === 1 ? found[0]! : undefined
    if (place && name) {
      const key = `${place.id}\u0000${name}`
      const first = seen.get(key)
      if (first !== undefined) reasons.push(`与第 ${first} 行重复`)
      else seen.set(key, line)
      if (taken.has(key)) reasons.push(`${community}已有小区“${name}”`)
    }
    if (reasons.length > 0 || !place) {
      rejected.push({ line, reasons })
      return
    }
    good.push({
      line,
      communityId: place.id,
      communityName: place.name,
      name,
      ...(address ? { address } : {}),
      ...(typeof year === 'number' ? { buildYear: year } : {}),
    })
  })
  return { rows: good, rejected }
}

/**
 * Creates the xiaoqu of an import, all or nothing: any rejected row refuses the whole file with the report;
 * each xiaoqu is created (and audited) by createXiaoqu, the import as a whole audited once more.
 */
export async function importXiaoqu(
  ctx: { db: DbOrTx; clock: Clock },
  actor: StaffActor,
  records: string[][],
  lines?: number[],
) {
  const { rows, rejected } = await previewXiaoquImport(ctx.db, ctx.clock, actor, records, lines)
  if (rejected.length > 0) {
    throw new AppError(
      'xiaoqu_import.rows_rejected',
      400,
      `有 ${rejected.length} 行不合格，整个文件未导入。请改正后重新导入：${rejected
        .slice(0, 5)
        .map((r) => `第 ${r.line} 行（${r.reasons.join('；')}）`)
        .join('，')}${rejected.length > 5 ? ' 等' : ''}`,
      { imported: 0, rejected } satisfies XiaoquImportReport,
    )
  }
  const now = ctx.clock.now()
  const created = []
  for (const row of rows) {
    created.push(
      await createXiaoqu(
        ctx.db,
        actor,
        { communityId: row.communityId, name: row.name, address: row.address, buildYear: row.buildYear },
        now,
      ),
    )
  }
  await recordAudit(ctx.db, {
    actor,
    action: 'xiaoqu.import',
    entity: 'xiaoqu',
    entityId: created[0]?.id ?? '',
    after: { rows: created.length, ids: created.map((x) => x.id) },
    at: now,
  })
  return { imported: created.length, rejected: [], created } satisfies XiaoquImportReport & {
    created: unknown[]
  }
}
