import { inflateRawSync } from 'node:zlib'
import { invalid } from '../shared/errors'

/** What an honest .xlsx of 20,000 rows unpacks to, with room to spare. */
const maxUnpackedBytes = 64 * 1024 * 1024
const maxEntries = 2_000

const refused = () =>
  invalid(
    'import.bad_xlsx',
    '这个 Excel 文件无法安全读取（结构异常或解压后过大）。请在 Excel 或 WPS 中另存为 .xlsx，或另存为 UTF-8 的 CSV 后上传。',
  )

/**
 * An .xlsx is a ZIP: before any library unpacks it, check that every entry, actually inflated here under a
 * ceiling, is no bigger than it says and that all of them together stay under `maxUnpackedBytes`. A zip
 * bomb (or an entry that lies about its size) is refused without ever being unpacked in full.
 */
export function checkZipBounds(bytes: Uint8Array) {
  const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  // The end-of-central-directory record: in the last 22 bytes plus at most a 64 KB comment.
  let end = -1
  for (let i = data.length - 22; i >= Math.max(0, data.length - 22 - 0xffff); i--) {
    if (data.readUInt32LE(i) === 0x06054b50) {
      end = i
      break
    }
  }
  if (end < 0) throw refused()
  const entries = data.readUInt16LE(end + 10)
  let at = data.readUInt32LE(end + 16)
  if (entries === 0xffff || entries > maxEntries || at === 0xffffffff) throw refused()
  let total = 0
  for (let n = 0; n < entries; n++) {
    if (at + 46 > data.length || data.readUInt32LE(at) !== 0x02014b50) throw refused()
    const method = data.readUInt16LE(at + 10)
    const packed = data.readUInt32LE(at + 20)
    const unpacked = data.readUInt32LE(at + 24)
    const nameLength = data.readUInt16LE(at + 28)
    const extraLength = data.readUInt16LE(at + 30)
    const commentLength = data.readUInt16LE(at + 32)
    const local = data.readUInt32LE(at + 42)
    at += 46 + nameLength + extraLength + commentLength
    total += unpacked
    if (total > maxUnpackedBytes || packed === 0xffffffff || unpacked === 0xffffffff) throw refused()
    if (local + 30 > data.length || data.readUInt32LE(local) !== 0x04034b50) throw refused()
    const start = local + 30 + data.readUInt16LE(local + 26) + data.readUInt16LE(local + 28)
    if (start + packed > data.length) throw refused()
    if (method === 0) {
      if (packed !== unpacked) throw refused()
    } else if (method === 8) {
      try {
        // Throws as soon as the output passes what the entry declared.
        inflateRawSync(data.subarray(start, start + packed), { maxOutputLength: Math.max(1, unpacked) })
      } catch {
        throw refused()
      }
    } else {
      throw refused()
    }
  }
}
