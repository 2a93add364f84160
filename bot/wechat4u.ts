import type { Log } from '../core/shared/log'
import { createCollapsedLog } from './collapsed-log'

/**
 * wechat4u, when loaded, makes every uncaught exception in the process a bare console.log (and so keeps
 * the process alive whatever happened). Its own teardown throws one at every reconnection. Its listener is
 * replaced by one that logs through ours, collapsed, with the stack at debug: the process still stays up,
 * as it did, but the log stays readable and small.
 */
export async function tameWechat4u(log: Log) {
  const before = new Set(process.listeners('uncaughtException'))
  const name = 'wechat4u'
  await import(name)
  for (const listener of process.listeners('uncaughtException')) {
    if (!before.has(listener)) process.off('uncaughtException', listener)
  }
  const collapsed = createCollapsedLog(log)
  process.on('uncaughtException', (error) =>
    collapsed.report('uncaught exception (from the wechat4u puppet)', error),
  )
}
