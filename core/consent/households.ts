import { and, asc, eq, isNull, like, sql } from 'drizzle-orm'
import { z } from 'zod'
import type { DbOrTx } from '../../db/client'
import { buildings, households, residentHouseholds, residents, units, xiaoqu } from '../../db/schema'
import { addRooms, getXiaoquForStaff } from '../areas/areas.usecases'
import { recordAudit } from '../audit/audit'
import { readCsv } from '../data/spreadsheet'
import { enqueueMessages } from '../outbox/outbox.repository'
import { type Actor, assertRole, type ResidentRow } from '../shared/actor'
import type { Deps } from '../shared/deps'
import { AppError, conflict, invalid, notFound } from '../shared/errors'
import { wellFormed } from '../shared/unicode'

type Ctx = Pick<Deps, 'clock' | 'config'> & { db: DbOrTx }
type StaffActor = Actor & { kind: 'staff' }

/** Column names as people write them, in Chinese or English. */
const headerAliases: Record<string, 'building' | 'unit' | 'room' | 'area' | 'owner' | 'phone'> = {
  楼栋: 'building',
  楼号: 'building',
  building: 'building',
  单元: 'unit',
  unit: 'unit',
  房号: 'room',
  房间: 'room',
  室: 'room',
  room: 'room',
  面积: 'area',
  专有部分面积: 'area',
  建筑面积: 'area',
  area: 'area',
  业主: 'owner',
  业主姓名: 'owner',
  姓名: 'owner',
  owner: 'owner',
  电话: 'phone',
  手机: 'phone',
  联系电话: 'phone',
  phone: 'phone',
}

export const normalizeBuilding = (s: string) => {
  const t = s.trim().replace(/\s+/g, '')
  return /^\d+$/.test(t) ? `${t}号楼` : /^\d+号$/.test(t) ? `${t}楼` : t
}
export const normalizeUnit = (s: string) => {
  const t = s.trim().replace(/\s+/g, '')
  return /^\d+$/.test(t) ? `${t}单元` : t
}
export const normalizeRoom = (s: string) =>
  s
    .trim()
    .replace(/\s+/g, '')
    .replace(/[室号]$/, '')

const rowSchema = z.object({
  building: z.string().trim().min(1, '楼栋为空').max(30, '楼栋过长').transform(normalizeBuilding),
  unit: z.string().trim().min(1, '单元为空').max(30, '单元过长').transform(normalizeUnit),
  room: z
    .string()
    .trim()
    .min(1, '房号为空')
    .max(30, '房号过长')
    .transform(normalizeRoom)
    // "号" or "室" alone is a suffix with no room in front of it.
    .refine((room) => room !== '', '房号为空'),
  area: z
    .string()
    .trim()
    .regex(/^\d{1,6}(\.\d{1,2})?$/, '面积应为平方米数，最多两位小数，如 56.78')
    .transform((v) => {
      const [whole, frac = ''] = v.split('.')
      return Number(whole) * 100 + Number(frac.padEnd(2, '0'))
    })
    .refine((centi) => centi > 0, '面积必须大于 0'),
  owner: z.string().trim().max(50, '业主姓名过长').optional().default(''),
  phone: z
    .string()
    .trim()
    .regex(/^(|1\d{10}|0\d{2,3}-?\d{7,8})$/, '电话应为 11 位手机号或带区号的座机号')
    .optional()
    .default(''),
})

const columnNames = {
  building: '楼栋',
  unit: '单元',
  room: '房号',
  area: '面积',
  owner: '业主',
  phone: '电话',
}
/** What the database cannot store: NUL, and half a surrogate pair (which PGlite fails on). */
const unsavable = (value: string) => value.includes('\u0000') || wellFormed(value) !== value

export interface ImportReport {
  imported: number
  rejected: { line: number; room?: string; reasons: string[] }[]
}

/** Households of one owner share a key: the phone when given, else the name; none counts the household alone. */
export function ownerKeyOf(owner: string, phone: string) {
  const digits = phone.replace(/\D/g, '')
  if (digits) return `tel:${digits}`
  if (owner) return `name:${owner}`
  return null
}

/** The import's header row and an example, for the downloadable templates. */
export const householdsTemplate = {
  header: ['楼栋', '单元', '房号', '面积', '业主', '电话'],
  rows: [['3号楼', '1单元', '101', '85.50', '王大爷', '13800000001']],
}

/** A household as it will be stored: names normalised (3 → 3号楼), the area in hundredths of m². */
export type HouseholdRow = z.infer<typeof rowSchema> & { line: number }

/**
 * Checks a file's records (the header row first; `lines` the row numbers people see, by default the
 * record's position): every row that would be stored, and every rejected row with its reasons.
 */
export function checkHouseholdRecords(records: string[][], lines?: number[]) {
  const [header, ...rows] = records
  const columns = (header ?? []).map((h) => headerAliases[h.trim().toLowerCase()] ?? headerAliases[h.trim()])
  const missing = (['building', 'unit', 'room', 'area'] as const).filter((c) => !columns.includes(c))
  if (!header || missing.length > 0) {
    throw invalid(
      'households.bad_header',
      `表头缺少：${missing.map((c) => ({ building: '楼栋', unit: '单元', room: '房号', area: '面积' })[c]).join('、')}。表头应为：楼栋,单元,房号,面积,业主,电话`,
      { missing },
    )
  }
  if (rows.length === 0) throw invalid('households.empty', '文件只有表头，没有房屋。')
  if (rows.length > 20_000) throw invalid('households.too_many', '一次最多导入 20000 户，请分批导入。')
  const rejected: ImportReport['rejected'] = []
  const good: HouseholdRow[] = []
  const seen = new Map<string, number>()
  rows.forEach((cells, i) => {
    const line = lines?.[i + 1] ?? i + 2
    const raw = Object.fromEntries(columns.flatMap((c, j) => (c ? [[c, cells[j] ?? '']] : [])))
    // A room named twice is caught even when one of the two rows is also wrong in another way.
    const label =
      raw.building && raw.unit && raw.room
        ? `${normalizeBuilding(raw.building)}${normalizeUnit(raw.unit)}${normalizeRoom(raw.room)}`
        : undefined
    const first = label ? seen.get(label) : undefined
    if (label && first === undefined) seen.set(label, line)
    const parsed = rowSchema.safeParse(raw)
    const reasons = [
      ...(first !== undefined ? [`与第 ${first} 行房号重复`] : []),
      ...Object.entries(raw).flatMap(([column, value]) =>
        unsavable(value)
          ? [
              `${columnNames[column as keyof typeof columnNames]}含有无法保存的字符（NUL 或残缺的表情符号），请删去`,
            ]
          : [],
      ),
      ...(parsed.success ? [] : parsed.error.issues.map((issue) => issue.message)),
    ]
    if (!parsed.success || reasons.length > 0) {
      rejected.push({ line, ...(first !== undefined ? { room: label } : {}), reasons })
      return
    }
    good.push({ ...parsed.data, line })
  })
  return { rows: good, rejected }
}

const rowsRejected = (rejected: ImportReport['rejected']) =>
  new AppError(
    'households.rows_rejected',
    400,
    `有 ${rejected.length} 行不合格，整个文件未导入。请改正后重新导入：${rejected
      .slice(0, 5)
      .map((r) => `第 ${r.line} 行（${r.reasons.join('；')}）`)
      .join('，')}${rejected.length > 5 ? ' 等' : ''}`,
    { imported: 0, rejected } satisfies ImportReport,
  )

/**
 * What importing these records into the xiaoqu would do, writing nothing: the rows as they will be stored,
 * how many are new and how many update a household already there, and the rejected rows.
 */
export async function previewHouseholds(
  db: DbOrTx,
  actor: StaffActor,
  xiaoquId: number,
  records: string[][],
  lines?: number[],
) {
  assertRole(actor.staff, ['officer', 'community_worker'])
  const place = await getXiaoquForStaff(db, actor, xiaoquId)
  const { rows, rejected } = checkHouseholdRecords(records, lines)
  const existing = await db
    .select({ building: buildings.name, unit: units.name, room: households.room })
    .from(households)
    .innerJoin(buildings, eq(buildings.id, households.buildingId))
    .innerJoin(units, eq(units.id, households.unitId))
    .where(eq(households.xiaoquId, place.id))
  const known = new Set(existing.map((h) => `${h.building}\u0000${h.unit}\u0000${h.room}`))
  const updated = rows.filter((r) => known.has(`${r.building}\u0000${r.unit}\u0000${r.room}`)).length
  return { place, rows, rejected, added: rows.length - updated, updated }
}

/**
 * Imports households with their exclusive areas and owners from CSV (楼栋, 单元, 房号, 面积, 业主, 电话).
 * All or nothing: any bad row (a bad area, a room twice, a missing column) rejects the whole file with a
 * report of every rejected row and why, and nothing is written.
 */
export async function importHouseholds(ctx: Ctx, actor: StaffActor, xiaoquId: number, csv: string) {
  assertRole(actor.staff, ['officer', 'community_worker'])
  await getXiaoquForStaff(ctx.db, actor, xiaoquId)
  return importHouseholdRecords(ctx, actor, xiaoquId, readCsv(csv, 'households.bad_csv'))
}

/** The same import from records already read (a CSV's or an XLSX sheet's, header row first). */
export async function importHouseholdRecords(
  ctx: Ctx,
  actor: StaffActor,
  xiaoquId: number,
  records: string[][],
  lines?: number[],
) {
  assertRole(actor.staff, ['officer', 'community_worker'])
  const place = await getXiaoquForStaff(ctx.db, actor, xiaoquId)
  const { rows: good, rejected } = checkHouseholdRecords(records, lines)
  if (rejected.length > 0) throw rowsRejected(rejected)
  const report: ImportReport = { imported: 0, rejected: [] }
  await addRooms(
    ctx.db,
    actor,
    place.id,
    good.map((r) => ({ building: r.building, unit: r.unit, room: r.room, areaCenti: r.area })),
    ctx.clock.now(),
  )
  // Owners, set-based: one statement for the whole file.
  await ctx.db.execute(sql`
    update households h set owner_name = nullif(x.owner, ''), owner_phone = nullif(x.phone, ''), owner_key = x.key
    from jsonb_to_recordset(${JSON.stringify(
      good.map((r) => ({
        b: r.building,
        u: r.unit,
        r: r.room,
        owner: r.owner,
        phone: r.phone,
        key: ownerKeyOf(r.owner, r.phone),
      })),
    )}::jsonb) as x(b text, u text, r text, owner text, phone text, key text), buildings b, units u
    where b.xiaoqu_id = ${place.id} and b.name = x.b and u.building_id = b.id and u.name = x.u
      and h.unit_id = u.id and h.room = x.r`)
  report.imported = good.length
  await recordAudit(ctx.db, {
    actor,
    action: 'households.import',
    entity: 'xiaoqu',
    entityId: place.id,
    after: { rows: good.length },
    at: ctx.clock.now(),
  })
  return report
}

const roomPattern =
  /^(?:(\S+?(?:小区|社区|[里院苑园]))\s*)?(\d+号楼|\d+号|\d+|\S+?楼)\s*[-\s]?\s*(\d+单元|\d+)\s*[-\s]?\s*(\d{1,5})[室号]?$/

/**
 * `认证 3号楼2单元301`, `3-2-301`, `农光里小区3号楼2单元301` or `<小区名> 3号楼 2单元 301`: which household is
 * meant. A first word the address pattern does not take is the xiaoqu's name.
 */
export function parseAddress(text: string) {
  const trimmed = text.trim().replace(/\s+/g, ' ')
  const direct = roomPattern.exec(trimmed)
  const space = trimmed.indexOf(' ')
  const named = !direct && space > 0 ? roomPattern.exec(trimmed.slice(space + 1)) : null
  const m = direct ?? named
  if (!m) return undefined
  return {
    xiaoquName: named ? trimmed.slice(0, space) : m[1],
    building: normalizeBuilding(m[2]!),
    unit: normalizeUnit(m[3]!),
    room: normalizeRoom(m[4]!),
  }
}

export const claimUsage = '认证 3号楼2单元301（可在前面加小区名，如：认证 农光里小区 3号楼2单元301）'

/**
 * A resident claims a household in private chat. An officer verifies it before it can vote. The claim
 * names the xiaoqu when the same room exists in several.
 */
export async function claimHousehold(ctx: Ctx, resident: ResidentRow, text: string) {
  const address = parseAddress(text)
  if (!address) throw invalid('claims.bad_address', `没看懂房号。请这样发：${claimUsage}`)
  const found = await ctx.db
    .select({ household: households, xiaoquName: xiaoqu.name, xiaoquPath: xiaoqu.path })
    .from(households)
    .innerJoin(buildings, eq(buildings.id, households.buildingId))
    .innerJoin(units, eq(units.id, households.unitId))
    .innerJoin(xiaoqu, eq(xiaoqu.id, households.xiaoquId))
    .where(
      and(
        eq(buildings.name, address.building),
        eq(units.name, address.unit),
        eq(households.room, address.room),
        address.xiaoquName ? eq(xiaoqu.name, address.xiaoquName) : undefined,
      ),
    )
  const label = `${address.building}${address.unit}${address.room}`
  if (found.length === 0) {
    throw notFound(
      'claims.no_household',
      `没有找到 ${address.xiaoquName ?? ''}${label}。请核对楼栋、单元、房号，或联系社区工作人员登记。`,
    )
  }
  if (found.length > 1) {
    throw invalid(
      'claims.ambiguous',
      `有 ${found.length} 个小区都有 ${label}（${found.map((f) => f.xiaoquName).join('、')}），请加上小区名，如：认证 ${found[0]!.xiaoquName} ${label}`,
    )
  }
  const { household, xiaoquName } = found[0]!
  const inserted = await ctx.db
    .insert(residentHouseholds)
    .values({ residentId: resident.id, householdId: household.id, createdAt: ctx.clock.now() })
    .onConflictDoNothing()
    .returning()
  const [existing] = inserted.length
    ? inserted
    : await ctx.db
        .select()
        .from(residentHouseholds)
        .where(
          and(
            eq(residentHouseholds.residentId, resident.id),
            eq(residentHouseholds.householdId, household.id),
          ),
        )
  return {
    household,
    label: `${xiaoquName}${label}`,
    verified: !!existing?.verifiedAt,
    fresh: inserted.length > 0,
  }
}

/** Claims waiting for an officer, in the officer's scope, with the registered owner to compare against. */
export async function pendingClaims(db: DbOrTx, actor: StaffActor) {
  assertRole(actor.staff, ['officer', 'community_worker'])
  const rows = await db
    .select({
      residentId: residents.id,
      residentName: residents.name,
      householdId: households.id,
      building: buildings.name,
      unit: units.name,
      room: households.room,
      ownerName: households.ownerName,
      ownerPhone: households.ownerPhone,
      xiaoquName: xiaoqu.name,
      xiaoquPath: xiaoqu.path,
      claimedAt: residentHouseholds.createdAt,
    })
    .from(residentHouseholds)
    .innerJoin(residents, eq(residents.id, residentHouseholds.residentId))
    .innerJoin(households, eq(households.id, residentHouseholds.householdId))
    .innerJoin(buildings, eq(buildings.id, households.buildingId))
    .innerJoin(units, eq(units.id, households.unitId))
    .innerJoin(xiaoqu, eq(xiaoqu.id, households.xiaoquId))
    .where(
      and(
        isNull(residentHouseholds.verifiedAt),
        // In the query, not after the limit: claims elsewhere must not crowd out the officer's own.
        actor.staff.scopePath ? like(xiaoqu.path, `${actor.staff.scopePath}%`) : undefined,
      ),
    )
    .orderBy(asc(residentHouseholds.createdAt))
    .limit(500)
  return rows
}

/** An officer in scope verifies (or rejects) a claim; the resident is told privately. Audited. */
export async function decideClaim(
  ctx: Ctx,
  actor: StaffActor,
  input: { residentId: number; householdId: number; approve: boolean; note?: string },
) {
  assertRole(actor.staff, ['officer', 'community_worker'])
  const claim = and(
    eq(residentHouseholds.residentId, input.residentId),
    eq(residentHouseholds.householdId, input.householdId),
  )
  const [row] = await ctx.db
    .select({ claim: residentHouseholds, resident: residents, household: households, place: xiaoqu })
    .from(residentHouseholds)
    .innerJoin(residents, eq(residents.id, residentHouseholds.residentId))
    .innerJoin(households, eq(households.id, residentHouseholds.householdId))
    .innerJoin(xiaoqu, eq(xiaoqu.id, households.xiaoquId))
    .where(claim)
    .for('update', { of: residentHouseholds })
  if (!row) throw notFound('claims.not_found', '没有这条认证申请。')
  await getXiaoquForStaff(ctx.db, actor, row.place.id)
  if (row.claim.verifiedAt)
    throw conflict('claims.already_verified', `${row.resident.name} 的这户已经认证过。`)
  const now = ctx.clock.now()
  if (input.approve) {
    await ctx.db.update(residentHouseholds).set({ verifiedAt: now, verifiedBy: actor.staff.id }).where(claim)
  } else {
    await ctx.db.delete(residentHouseholds).where(claim)
  }
  await recordAudit(ctx.db, {
    actor,
    action: input.approve ? 'claim.verify' : 'claim.reject',
    entity: 'resident',
    entityId: input.residentId,
    after: { householdId: input.householdId, note: input.note ?? null },
    at: now,
  })
  if (row.resident.wechatId) {
    const text = input.approve
      ? `您认证的房屋（${row.place.name} ${row.household.room}）已通过核实，可以参加本小区的征询表决。`
      : `您认证的房屋（${row.place.name} ${row.household.room}）未通过核实${input.note ? `：${input.note}` : ''}。如有疑问请联系社区工作人员。`
    await enqueueMessages(
      ctx.db,
      [
        {
          conversationId: row.resident.wechatId,
          isRoom: false,
          text,
          dedupeKey: `claim:${input.residentId}:${input.householdId}:${input.approve ? 'ok' : 'no'}:${now.getTime()}`,
        },
      ],
      now,
      { maxChars: ctx.config.send.maxChars },
    )
  }
  return { verified: input.approve }
}
