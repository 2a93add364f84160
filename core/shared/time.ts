import { shanghaiParts } from '../sla/calendar'

const pad = (n: number) => String(n).padStart(2, '0')

/** '3月2日 10:00' in Asia/Shanghai, the way people say times in chat. */
export function formatShanghai(at: Date): string {
  const p = shanghaiParts(at)
  return `${p.month}月${p.day}日 ${pad(p.hour)}:${pad(p.minute)}`
}

/** '2026-03-02 10:00' in Asia/Shanghai, for tables and exports. */
export function formatShanghaiFull(at: Date): string {
  const p = shanghaiParts(at)
  return `${p.year}-${pad(p.month)}-${pad(p.day)} ${pad(p.hour)}:${pad(p.minute)}`
}
