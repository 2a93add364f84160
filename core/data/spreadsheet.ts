import { parse } from 'csv-parse/sync'
import type ExcelJS from 'exceljs'
import { csvCell } from '../shared/csv'
import { invalid } from '../shared/errors'
import { checkZipBounds } from './zip-guard'

/** A report as rows under one header row: what every export writes, to CSV or XLSX alike. */
export interface Table {
  header: readonly string[]
  rows: readonly (readonly (string | number | null | undefined)[])[]
}

export type SheetFormat = 'csv' | 'xlsx'

/** An uploaded import file is at most this big, and holds at most this many rows under its header. */
export const maxImportBytes = 5 * 1024 * 1024
export const maxImportRows = 20_000

const text = (value: string | number | null | undefined) =>
  value === null || value === undefined ? '' : String(value)

/** A spreadsheet runs text starting with = + - @ (or a tab or CR before them) as a formula: quote it. */
export const defused = (value: string) => (/^[=+\-@\t\r]/.test(value) ? `'${value}` : value)

/** exceljs, loaded at the first spreadsheet (~20 MB and a few hundred ms a process need not pay at start). */
const excel = async () => (await import('exceljs')).default

/** UTF-8 with a BOM (so Excel reads the Chinese right), CRLF lines, formulas defused (csvCell). */
export function toCsv(table: Table): string {
  return `\uFEFF${[table.header, ...table.rows].map((r) => r.map((v) => csvCell(text(v))).join(',')).join('\r\n')}\r\n`
}

/** One sheet, the header row bold and frozen; text is written as text, with formulas defused as in CSV. */
export async function toXlsx(table: Table, sheetName: string): Promise<Buffer> {
  const workbook = new (await excel()).Workbook()
  const sheet = workbook.addWorksheet(sheetName.slice(0, 31), { views: [{ state: 'frozen', ySplit: 1 }] })
  sheet.addRow([...table.header]).font = { bold: true }
  for (const row of table.rows) {
    sheet.addRow(row.map((v) => (typeof v === 'number' ? v : defused(text(v)))))
  }
  sheet.columns.forEach((column, i) => {
    const widest = Math.max(...[table.header, ...table.rows.slice(0, 200)].map((r) => text(r[i]).length))
    column.width = Math.min(60, Math.max(8, widest * 2 + 2))
  })
  return Buffer.from(await workbook.xlsx.writeBuffer())
}

export async function writeTable(table: Table, format: SheetFormat, sheetName: string) {
  return format === 'csv' ? Buffer.from(toCsv(table), 'utf8') : await toXlsx(table, sheetName)
}

const contentTypes: Record<SheetFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
}

/**
 * Headers for a download named in Chinese: an ASCII `filename` for old clients and the real name as
 * RFC 5987 `filename*`, which every current browser prefers.
 */
export function downloadHeaders(name: string, format: SheetFormat, asciiName: string) {
  return {
    'content-type': contentTypes[format],
    'content-disposition': `attachment; filename="${asciiName.replace(/[^\w.-]/g, '_')}.${format}"; filename*=UTF-8''${encodeURIComponent(`${name}.${format}`)}`,
  }
}

/** csv-parse's errors, said for people; the parser's own words go in the details. */
const csvProblems: Record<string, string> = {
  CSV_QUOTE_NOT_CLOSED: '引号没有闭合',
  CSV_INVALID_CLOSING_QUOTE: '引号闭合后紧跟了其他字符',
  CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE: '引号闭合后紧跟了其他字符',
  INVALID_OPENING_QUOTE: '引号出现在单元格中间',
}

/** CSV text as records (trimmed cells, blank lines skipped); a file that will not parse is a 400 naming the line. */
export function readCsv(csv: string, code: string): string[][] {
  try {
    return parse(csv.replace(/^\uFEFF/, ''), { skip_empty_lines: true, relax_column_count: true, trim: true })
  } catch (error) {
    const { code: problem, lines, message } = error as { code?: string; lines?: number; message: string }
    throw invalid(
      code,
      `CSV 第 ${lines ?? 1} 行无法解析：${csvProblems[problem ?? ''] ?? '格式不正确'}。请用逗号分隔、带表头的 UTF-8 文件；单元格里有逗号、引号或换行时，用英文双引号把整格括起来，格内的双引号写两遍。`,
      { line: lines ?? 1, reason: message },
    )
  }
}

const pad = (n: number) => String(n).padStart(2, '0')

/** A cell as the text a person typed: 85.5 not 85.500000001, a date as 2026-03-01, a formula as its result. */
export function cellText(value: ExcelJS.CellValue): string {
  if (value === null || value === undefined) return ''
  if (typeof value === 'string') return value.trim()
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return ''
    return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(12)))
  }
  if (typeof value === 'boolean') return value ? '是' : '否'
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) return ''
    // Excel keeps wall time with no zone; exceljs hands it over as that time in UTC.
    const day = `${value.getUTCFullYear()}-${pad(value.getUTCMonth() + 1)}-${pad(value.getUTCDate())}`
    const h = value.getUTCHours()
    const m = value.getUTCMinutes()
    return h === 0 && m === 0 ? day : `${day} ${pad(h)}:${pad(m)}`
  }
  if ('richText' in value)
    return value.richText
      .map((part) => part.text)
      .join('')
      .trim()
  if ('error' in value) return String(value.error)
  if ('formula' in value || 'sharedFormula' in value) {
    const result = (value as { result?: ExcelJS.CellValue }).result
    return result === undefined ? '' : cellText(result)
  }
  if ('text' in value) return cellText((value as { text: ExcelJS.CellValue }).text)
  return ''
}

const xlsxError = () =>
  invalid(
    'import.bad_xlsx',
    '无法读取这个 Excel 文件。请用 Excel 或 WPS 另存为 .xlsx（不支持 .xls 和加密的文件），或另存为 UTF-8 的 CSV 后上传。',
  )

/**
 * The first worksheet's rows as text cells (empty rows skipped) with each row's number in the sheet, so a
 * report can name the row people see; bounded in rows and columns.
 */
export async function readXlsx(bytes: Uint8Array): Promise<{ records: string[][]; lines: number[] }> {
  checkZipBounds(bytes)
  const workbook = new (await excel()).Workbook()
  try {
    await workbook.xlsx.load(Buffer.from(bytes) as unknown as ExcelJS.Buffer)
  } catch {
    throw xlsxError()
  }
  const sheet = workbook.worksheets[0]
  if (!sheet) throw xlsxError()
  const records: string[][] = []
  const lines: number[] = []
  let tooMany = false
  sheet.eachRow({ includeEmpty: false }, (row, number) => {
    if (records.length > maxImportRows) {
      tooMany = true
      return
    }
    const cells: string[] = []
    const width = Math.min(row.cellCount, 50)
    for (let i = 1; i <= width; i++) cells.push(cellText(row.getCell(i).value))
    if (cells.some((c) => c !== '')) {
      records.push(cells)
      lines.push(number)
    }
  })
  if (tooMany) throw tooManyRows()
  return { records, lines }
}

export const tooManyRows = () =>
  invalid('import.too_many', `一次最多导入 ${maxImportRows} 行，请分批导入。`, { maxRows: maxImportRows })

/** What a person uploads: its name decides nothing; a ZIP signature means XLSX, else it is read as CSV. */
export async function readUpload(file: { name: string; bytes: Uint8Array }, csvCode: string) {
  if (file.bytes.byteLength === 0)
    throw invalid('import.empty_file', '上传的文件是空的，请选择填好的 CSV 或 Excel 文件。')
  if (file.bytes.byteLength > maxImportBytes) {
    throw invalid('import.too_large', '文件不能超过 5 MB，请分批导入。', { maxBytes: maxImportBytes })
  }
  const zip = file.bytes[0] === 0x50 && file.bytes[1] === 0x4b
  if (/\.xls$/i.test(file.name) || (file.bytes[0] === 0xd0 && file.bytes[1] === 0xcf)) {
    throw invalid('import.old_xls', '不支持旧版 .xls 文件，请在 Excel 或 WPS 中另存为 .xlsx 或 CSV 后上传。')
  }
  if (zip) return { format: 'xlsx' as const, ...(await readXlsx(file.bytes)) }
  let csv: string
  try {
    csv = new TextDecoder('utf-8', { fatal: true }).decode(file.bytes)
  } catch {
    throw invalid(
      'import.not_utf8',
      'CSV 文件不是 UTF-8 编码（Excel 默认另存的 CSV 可能是 GBK）。请另存为“CSV UTF-8”，或直接上传 .xlsx 文件。',
    )
  }
  const records = readCsv(csv, csvCode)
  if (records.length > maxImportRows + 1) throw tooManyRows()
  return { format: 'csv' as const, records, lines: undefined }
}
