import { fromShanghai, shanghaiDate, shanghaiParts } from '../sla/calendar'

/** Inside the quiet window (which may wrap midnight, as 22:00–07:00 does)? Shanghai wall clock. */
export function isQuietTime(now: Date, quiet: { from: number; to: number } | null) {
  if (!quiet) return false
  const p = shanghaiParts(now)
  const minute = p.hour * 60 + p.minute
  return quiet.from < quiet.to
    ? minute >= quiet.from && minute < quiet.to
    : minute >= quiet.from || minute < quiet.to
}

/** The start of the Shanghai day that `now` falls in: the daily cap counts from here. */
export const startOfShanghaiDay = (now: Date) => fromShanghai(shanghaiDate(now))

/**
 * Splits a message that is too long for one WeChat message into ordered parts, at line breaks where it
 * can, and marks each part (1/3)…(3/3). Never cuts a surrogate pair.
 */
export function splitMessage(text: string, maxChars: number): string[] {
  if (text.length <= maxChars) return [text]
  const room = maxChars - 8 // leaves space for the "（12/34）" marker
  const parts: string[] = []
  let rest = text
  while (rest.length > room) {
    let cut = rest.lastIndexOf('\n', room)
    if (cut < room / 2) cut = room
    if (/[\uD800-\uDBFF]/.test(rest[cut - 1] ?? '')) cut--
    parts.push(rest.slice(0, cut).trimEnd())
    rest = rest.slice(cut).replace(/^\n/, '')
  }
  if (rest) parts.push(rest)
  return parts.map((p, i) => `${p}\n（${i + 1}/${parts.length}）`)
}
