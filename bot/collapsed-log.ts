import type { Log } from '../core/shared/log'

/**
 * Puppets repeat the same failure many times a second while offline (wechat4u logs a stack every few
 * seconds per poll). The first of a kind is logged as one line; repeats within the window are counted
 * and logged once as "repeated N times". Stacks go to debug only.
 */
export function createCollapsedLog(log: Log, windowMs = 60_000) {
  const seen = new Map<string, { count: number; timer: NodeJS.Timeout }>()
  const flush = (key: string) => {
    const entry = seen.get(key)
    seen.delete(key)
    if (entry && entry.count > 0) {
      log.warn(`${key} (repeated ${entry.count} times in the last ${Math.round(windowMs / 1000)} s)`)
    }
  }
  return {
    report(message: string, error?: unknown) {
      const detail = error instanceof Error ? error.message : error === undefined ? '' : String(error)
      // Digits vary (ports, ids, counts): the kind of failure is what repeats.
      const key = `${message}: ${detail.replace(/\d+/g, '#').slice(0, 160)}`
      const entry = seen.get(key)
      if (entry) {
        entry.count++
        return
      }
      log.warn(message, { error: detail.slice(0, 300) })
      if (error instanceof Error && error.stack) log.debug(message, { stack: error.stack })
      const timer = setTimeout(() => flush(key), windowMs)
      timer.unref()
      seen.set(key, { count: 0, timer })
    },
    close() {
      for (const [key, entry] of seen) {
        clearTimeout(entry.timer)
        flush(key)
      }
    },
  }
}

export type CollapsedLog = ReturnType<typeof createCollapsedLog>
