import { deflateRawSync } from 'node:zlib'
import ExcelJS from 'exceljs'
import { describe, expect, it } from 'vitest'
import { checkHouseholdRecords } from '../../core/consent/households'
import { createPendingUploads } from '../../core/data/pending'
import { cellText, downloadHeaders, readUpload, readXlsx, toCsv, toXlsx } from '../../core/data/spreadsheet'
import { checkZipBounds } from '../../core/data/zip-guard'
import { createTestClock } from '../../core/shared/clock'

/** A ZIP of the given entries, deflated, each declaring `declare(size)` as its unpacked size. */
function zipOf(entries: { name: string; data: Buffer }[], declare = (size: number) => size) {
  const locals: Buffer[] = []
  const centrals: Buffer[] = []
  let offset = 0
  for (const { name, data } of entries) {
    const packed = deflateRawSync(data)
    const nameBytes = Buffer.from(name)
    const local = Buffer.alloc(30)
    local.writeUInt32LE(0x04034b50, 0)
    local.writeUInt16LE(20, 4)
    local.writeUInt16LE(8, 8)
    local.writeUInt32LE(packed.length, 18)
    local.writeUInt32LE(declare(data.length), 22)
    local.writeUInt16LE(nameBytes.length, 26)
    const central = Buffer.alloc(46)
    central.writeUInt32LE(0x02014b50, 0)
    central.writeUInt16LE(20, 4)
    central.writeUInt16LE(20, 6)
    central.writeUInt16LE(8, 10)
    central.writeUInt32LE(packed.length, 20)
    central.writeUInt32LE(declare(data.length), 24)
    central.writeUInt16LE(nameBytes.length, 28)
    central.writeUInt32LE(offset, 42)
    locals.push(local, nameBytes, packed)
    centrals.push(central, nameBytes)
    offset += 30 + nameBytes.length + packed.length
  }
  const directory = Buffer.concat(centrals)
  const end = Buffer.alloc(22)
  end.writeUInt32LE(0x06054b50, 0)
  end.writeUInt16LE(entries.length, 8)
  end.writeUInt16LE(entries.length, 10)
  end.writeUInt32LE(directory.length, 12)
  end.writeUInt32LE(offset, 16)
  return new Uint8Array(Buffer.concat([...locals, directory, end]))
}

async function workbookOf(rows: ExcelJS.CellValue[][]) {
  const workbook = new ExcelJS.Workbook()
  const sheet = workbook.addWorksheet('房屋')
  for (const row of rows) sheet.addRow(row)
  return new Uint8Array(await workbook.xlsx.writeBuffer())
}

describe('spreadsheets: reading uploads and writing exports', () => {
  it('reads Excel cells as the text a person typed', () => {
    expect(cellText(85.5)).toBe('85.5')
    expect(cellText(0.1 + 0.2)).toBe('0.3')
    expect(cellText(13800000001)).toBe('13800000001')
    expect(cellText(new Date(Date.UTC(1985, 5, 1)))).toBe('1985-06-01')
    expect(cellText(new Date(Date.UTC(2026, 2, 2, 9, 30)))).toBe('2026-03-02 09:30')
    expect(cellText({ richText: [{ text: '3号' }, { text: '楼 ' }] })).toBe('3号楼')
    expect(cellText({ formula: 'A1*2', result: 120.25 } as ExcelJS.CellValue)).toBe('120.25')
    expect(cellText({ text: '王大爷', hyperlink: 'mailto:x' } as ExcelJS.CellValue)).toBe('王大爷')
    expect(cellText({ error: '#N/A' } as ExcelJS.CellValue)).toBe('#N/A')
    expect(cellText(null)).toBe('')
    expect(cellText(true)).toBe('是')
  })

  it('turns an XLSX sheet into the same records the CSV import checks, rows numbered as in the sheet', async () => {
    const bytes = await workbookOf([
      ['楼栋', '单元', '房号', '面积', '业主', '电话'],
      [3, 1, 101, 85.5, '王大爷', 13800000001],
      [],
      ['3', '1', '102', { formula: '40+20.25', result: 60.25 }, '', ''],
      ['3', '1', '103', '#N/A', '', ''],
    ])
    const { records, lines } = await readXlsx(bytes)
    expect(records).toEqual([
      ['楼栋', '单元', '房号', '面积', '业主', '电话'],
      ['3', '1', '101', '85.5', '王大爷', '13800000001'],
      ['3', '1', '102', '60.25', '', ''],
      ['3', '1', '103', '#N/A', '', ''],
    ])
    expect(lines).toEqual([1, 2, 4, 5])
    const checked = checkHouseholdRecords(records, lines)
    expect(checked.rows.map((r) => [r.building, r.unit, r.room, r.area, r.phone])).toEqual([
      ['3号楼', '1单元', '101', 8550, '13800000001'],
      ['3号楼', '1单元', '102', 6025, ''],
    ])
    expect(checked.rejected).toEqual([{ line: 5, reasons: ['面积应为平方米数，最多两位小数，如 56.78'] }])
  })

  it('refuses a zip bomb and an entry lying about its size before exceljs unpacks anything', async () => {
    // 80 MB of zeros packs into well under 100 KB: honest, but more than an import can be.
    const bomb = zipOf([{ name: 'xl/worksheets/sheet1.xml', data: Buffer.alloc(80 * 1024 * 1024) }])
    expect(bomb.byteLength).toBeLessThan(200_000)
    expect(() => checkZipBounds(bomb)).toThrow(/无法安全读取/)
    await expect(readUpload({ name: 'bomb.xlsx', bytes: bomb }, 'x')).rejects.toMatchObject({
      code: 'import.bad_xlsx',
      status: 400,
    })
    const liar = zipOf(
      [{ name: 'xl/sharedStrings.xml', data: Buffer.alloc(4 * 1024 * 1024, 'a') }],
      () => 100,
    )
    expect(() => checkZipBounds(liar)).toThrow(/无法安全读取/)
    // A real workbook passes, and a truncated one is refused with the same Chinese advice.
    const real = await workbookOf([['楼栋'], ['3']])
    expect(() => checkZipBounds(real)).not.toThrow()
    await expect(readUpload({ name: 'x.xlsx', bytes: real.subarray(0, 200) }, 'x')).rejects.toMatchObject({
      code: 'import.bad_xlsx',
    })
    await expect(
      readUpload({ name: 'big.csv', bytes: new Uint8Array(5 * 1024 * 1024 + 1) }, 'x'),
    ).rejects.toMatchObject({ code: 'import.too_large' })
  })

  it('writes CSV with a BOM and XLSX as text, defusing formulas in both', async () => {
    const table = {
      header: ['编号', '内容', '数'],
      rows: [
        ['Q1', '=1+1', 3],
        ['Q2', '-2 度', null],
        ['Q3', '@cmd', undefined],
        ['Q4', '+86 电话', 4.5],
        ['Q5', '正常, "引号"', 0],
      ],
    }
    const csv = toCsv(table)
    expect(csv.startsWith('\uFEFF编号,内容,数\r\n')).toBe(true)
    expect(csv).toContain("Q1,'=1+1,3\r\n")
    expect(csv).toContain("Q2,'-2 度,\r\n")
    expect(csv).toContain("Q3,'@cmd,\r\n")
    expect(csv).toContain('Q5,"正常, ""引号""",0\r\n')
    const workbook = new ExcelJS.Workbook()
    await workbook.xlsx.load((await toXlsx(table, '诉求')) as unknown as ExcelJS.Buffer)
    const sheet = workbook.worksheets[0]!
    expect(sheet.name).toBe('诉求')
    expect(sheet.getCell('B2').value).toBe("'=1+1")
    expect(sheet.getCell('B2').formula).toBeUndefined()
    expect(sheet.getCell('B5').value).toBe("'+86 电话")
    expect(sheet.getCell('C5').value).toBe(4.5)
    const headers = downloadHeaders('诉求-2026-03-02', 'xlsx', 'requests-2026-03-02')
    expect(headers['content-disposition']).toBe(
      `attachment; filename="requests-2026-03-02.xlsx"; filename*=UTF-8''${encodeURIComponent('诉求-2026-03-02.xlsx')}`,
    )
  })

  it('keeps pending uploads bounded: one per person and kind, oldest out first, expired after the TTL', () => {
    const clock = createTestClock()
    const store = createPendingUploads<string>({ clock, ttlMs: 60_000, maxEntries: 3, maxChars: 100 })
    const a = store.put(1, 'households', 'a1', 10)
    const replaced = store.put(1, 'households', 'a2', 10)
    expect(store.get(1, 'households', a)).toBeUndefined()
    expect(store.get(1, 'households', replaced)).toBe('a2')
    expect(store.get(2, 'households', replaced)).toBeUndefined()
    expect(store.get(1, 'xiaoqu', replaced)).toBeUndefined()
    store.put(2, 'households', 'b', 10)
    store.put(3, 'households', 'c', 10)
    store.put(4, 'households', 'd', 10)
    expect(store.size).toBe(3)
    expect(store.get(1, 'households', replaced)).toBeUndefined()
    const big = store.put(5, 'households', 'e', 95)
    expect(store.size).toBe(1)
    expect(store.get(5, 'households', big)).toBe('e')
    clock.advance(60_000)
    expect(store.get(5, 'households', big)).toBeUndefined()
    expect(store.size).toBe(0)
  })
})
