import { parse } from 'csv-parse/sync'
import { eq, TransactionRollbackError } from 'drizzle-orm'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type ImportReport,
  importHouseholds,
  normalizeBuilding,
  normalizeRoom,
  normalizeUnit,
} from '../../core/consent/households'
import { csvCell } from '../../core/shared/csv'
import { isAppError } from '../../core/shared/errors'
import { wellFormed } from '../../core/shared/unicode'
import { buildings, households, units } from '../../db/schema'
import { createTestDeps, type TestDeps } from '../support/deps'
import { makeWorld } from '../support/factories'
import { anyText, fuzzParameters, fuzzTimeoutMs, isChineseMessage } from './fuzz'

const headerNames = [
  '楼栋',
  '楼号',
  'building',
  'Building',
  '单元',
  'unit',
  '房号',
  '房间',
  '室',
  'ROOM',
  '面积',
  '专有部分面积',
  'area',
  '业主',
  '姓名',
  'owner',
  '电话',
  '手机',
  'phone',
  '备注',
  '',
  '__proto__',
  'constructor',
]

/** A cell as people fill a spreadsheet in: mostly right, often a little wrong, sometimes anything at all. */
const cell = fc.oneof(
  fc.constantFrom(
    '3',
    '3号楼',
    '3号',
    '12 号楼',
    '二号楼',
    '2',
    '2单元',
    '301',
    '301室',
    '1201号',
    '室',
    '号',
  ),
  fc.constantFrom('56.78', '56.7', '90', '0', '0.00', '-1', '1e3', '56.789', '１２３', '1,234.5', '9999999'),
  fc.constantFrom('张桂兰', '李 建国', '13501010001', '010-12345678', '12345', '+8613501010001'),
  fc.constantFrom('', ' ', '\u3000', '=1+1', '"', '""', ',', '\n', '\u0000', '\ud83d', '\ufeff'),
  anyText(20),
  fc.integer({ min: 31, max: 100_000 }).map((n) => '楼'.repeat(n)),
)

/** One record: cells quoted as a spreadsheet writes them, or carelessly. */
const record = fc
  .tuple(fc.array(cell, { maxLength: 8 }), fc.constantFrom('quoted', 'raw', 'raw'))
  .map(([cells, style]) => cells.map((c) => (style === 'quoted' ? csvCell(c) : c)).join(','))

const header = fc.oneof(
  { arbitrary: fc.constant('楼栋,单元,房号,面积,业主,电话'), weight: 4 },
  {
    arbitrary: fc.shuffledSubarray(headerNames, { minLength: 1 }).map((names) => names.join(',')),
    weight: 2,
  },
  { arbitrary: record, weight: 1 },
)

/** A row as an officer's spreadsheet has it: building, unit, room, area, owner, phone, each in a form people use. */
const goodRow = fc.record({
  building: fc
    .tuple(fc.integer({ min: 1, max: 40 }), fc.constantFrom('', '号楼', '号', ' 号楼'))
    .map(([n, suffix]) => `${n}${suffix}`),
  unit: fc
    .tuple(fc.integer({ min: 1, max: 6 }), fc.constantFrom('', '单元'))
    .map(([n, suffix]) => `${n}${suffix}`),
  room: fc
    .tuple(fc.integer({ min: 1, max: 24 }), fc.integer({ min: 1, max: 4 }), fc.constantFrom('', '室', '号'))
    .map(([floor, door, suffix]) => `${floor}0${door}${suffix}`),
  area: fc
    .integer({ min: 1, max: 30_000 })
    .chain((centi) => fc.constantFrom((centi / 100).toFixed(2), String(Math.ceil(centi / 100)))),
  owner: fc.oneof(
    fc.constantFrom('张桂兰', '李建国', '王 芳', ''),
    fc.string({ unit: 'grapheme', maxLength: 12 }),
  ),
  phone: fc.oneof(fc.constantFrom('', '010-65001234'), fc.stringMatching(/^1[3-9]\d{9}$/)),
})
const columns = ['building', 'unit', 'room', 'area', 'owner', 'phone'] as const
const roomLabel = (r: { building: string; unit: string; room: string }) =>
  `${normalizeBuilding(r.building)}${normalizeUnit(r.unit)}${normalizeRoom(r.room)}`

/**
 * A file an officer might upload: the canonical header and distinct rooms, each cell now and then replaced
 * by an odd one (`dirt` of 40 cells on average), written as a spreadsheet writes CSV.
 */
const officeFile = (dirt: number) =>
  fc
    .tuple(
      fc.uniqueArray(goodRow, { minLength: 1, maxLength: 12, selector: roomLabel }),
      fc.array(fc.tuple(fc.nat(), fc.nat(columns.length - 1), cell), { maxLength: dirt }),
      fc.constantFrom('\n', '\r\n'),
      fc.boolean(),
    )
    .map(([rows, odd, eol, bom]) => {
      const table = rows.map((r) => columns.map((c) => r[c]))
      for (const [row, column, value] of odd) table[row % table.length]![column] = value
      const lines = ['楼栋,单元,房号,面积,业主,电话', ...table.map((cells) => cells.map(csvCell).join(','))]
      return `${bom ? '\ufeff' : ''}${lines.join(eol)}${eol}`
    })

/** A file: BOM or not, a header, rows, any line ending, blank lines; or no CSV at all. */
const csvText = fc.oneof(
  { arbitrary: officeFile(0), weight: 2 },
  { arbitrary: officeFile(2), weight: 3 },
  {
    arbitrary: fc
      .tuple(
        fc.boolean(),
        header,
        fc.array(record, { maxLength: 25 }),
        fc.constantFrom('\n', '\r\n', '\r'),
        fc.boolean(),
      )
      .map(
        ([bom, head, rows, eol, trailing]) =>
          `${bom ? '\ufeff' : ''}${[head, ...rows].join(eol)}${trailing ? eol : ''}`,
      ),
    weight: 4,
  },
  { arbitrary: anyText(300), weight: 1 },
  { arbitrary: fc.constant(''), weight: 1 },
)

const refusals = [
  'households.bad_csv',
  'households.bad_header',
  'households.empty',
  'households.too_many',
  'households.rows_rejected',
]

/**
 * Arbitrary CSV-ish text through the households import, each case in a transaction rolled back afterwards
 * on one PGlite database: it imports every row, or refuses the whole file with its own reasoned error in
 * Chinese, naming each rejected row (and the line that could not be parsed, or the missing columns).
 */
describe('the households import on arbitrary CSV', () => {
  let deps: TestDeps
  let world: Awaited<ReturnType<typeof makeWorld>>
  /** Outcomes by code, printed with FUZZ_VERBOSE=1 to see what the property reached. */
  const outcomes = new Map<string, number>()
  const count = (key: string) => outcomes.set(key, (outcomes.get(key) ?? 0) + 1)
  beforeAll(async () => {
    deps = await createTestDeps('pglite')
    world = await makeWorld(deps)
  })
  afterAll(async () => {
    if (process.env.FUZZ_VERBOSE) console.log(Object.fromEntries(outcomes))
    await deps.database.close()
  })

  it(
    'imports every row or refuses the file with a reason that names the row or column',
    async () => {
      await fc.assert(
        fc.asyncProperty(csvText, async (csv) => {
          let outcome:
            | { report: ImportReport; stored: { building: string; unit: string; room: string }[] }
            | undefined
          try {
            await deps.db.transaction(async (tx) => {
              const report = await importHouseholds(
                { ...deps, db: tx },
                world.officer.actor,
                world.xiaoqu.id,
                csv,
              )
              const stored = await tx
                .select({ building: buildings.name, unit: units.name, room: households.room })
                .from(households)
                .innerJoin(buildings, eq(buildings.id, households.buildingId))
                .innerJoin(units, eq(units.id, households.unitId))
                .where(eq(households.xiaoquId, world.xiaoqu.id))
              outcome = { report, stored }
              tx.rollback()
            })
          } catch (error) {
            if (error instanceof TransactionRollbackError) {
              // Imported: every data row, each room with a name.
              const { report, stored } = outcome!
              count('imported')
              expect(report.rejected).toEqual([])
              expect(report.imported).toBeGreaterThan(0)
              expect(stored.length).toBeGreaterThan(0)
              for (const room of stored) {
                expect(room.building.trim()).not.toBe('')
                expect(room.unit.trim()).not.toBe('')
                expect(room.room.trim()).not.toBe('')
              }
              return
            }
            if (!isAppError(error) || !refusals.includes(error.code))
              throw new Error(`not the import's own refusal for ${JSON.stringify(csv.slice(0, 300))}`, {
                cause: error,
              })
            count(error.code)
            if (!isChineseMessage(error.message)) throw new Error(`no Chinese reason: ${error.message}`)
            if (error.code === 'households.rows_rejected') {
              const { rejected } = error.details as ImportReport
              expect(rejected.length).toBeGreaterThan(0)
              for (const row of rejected) {
                expect(Number.isInteger(row.line) && row.line >= 2).toBe(true)
                expect(row.reasons.length).toBeGreaterThan(0)
                for (const reason of row.reasons) expect(isChineseMessage(reason)).toBe(true)
              }
              for (const row of rejected.slice(0, 5)) expect(error.message).toContain(`第 ${row.line} 行`)
            }
            if (error.code === 'households.bad_csv') expect(error.message).toMatch(/第 \d+ 行/)
            if (error.code === 'households.bad_header') expect(error.message).toMatch(/楼栋|单元|房号|面积/)
          }
        }),
        fuzzParameters(0.1),
      )
    },
    fuzzTimeoutMs,
  )

  it('refuses, naming the row and column, what this fuzz found getting through (NUL, a bare 号, a bad quote)', async () => {
    const refusal = (csv: string) =>
      importHouseholds(deps, world.officer.actor, world.xiaoqu.id, csv).then(
        () => undefined,
        (error: unknown) => error as { code: string; message: string; details: unknown },
      )
    const head = '楼栋,单元,房号,面积,业主,电话'
    const nul = await refusal(`${head}\n\u0000,1,101,56.78,张桂兰,\n`)
    expect(nul).toMatchObject({ code: 'households.rows_rejected' })
    expect(nul!.message).toContain('第 2 行（楼栋含有无法保存的字符')
    const bare = await refusal(`${head}\n1,1,号,56.78,,\n`)
    expect(bare).toMatchObject({ code: 'households.rows_rejected' })
    expect(bare!.message).toContain('第 2 行（房号为空')
    const quote = await refusal(`${head}\n1,1,"101,56.78,,\n`)
    expect(quote).toMatchObject({ code: 'households.bad_csv' })
    expect(quote!.message).toContain('CSV 第 2 行无法解析：引号没有闭合')
  })

  it('reads back every cell the export writes, formulas defused', () => {
    fc.assert(
      fc.property(fc.array(anyText(40), { minLength: 2, maxLength: 6 }), (cells) => {
        const line = cells.map(csvCell).join(',')
        const [parsed] = parse(line, { relax_column_count: true }) as string[][]
        // A lone surrogate cannot be written as UTF-8: it reads back as U+FFFD, as anywhere else.
        const defused = cells.map((c) => wellFormed(/^[=+\-@\t\r]/.test(c) ? `'${c}` : c))
        expect(parsed).toEqual(defused)
      }),
      fuzzParameters(1),
    )
  })
})
