export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent'
export type LogFields = Record<string, unknown>

export interface Log {
  debug(message: string, fields?: LogFields): void
  info(message: string, fields?: LogFields): void
  warn(message: string, fields?: LogFields): void
  error(message: string, fields?: LogFields): void
}

const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 }

/** One JSON line per event on stderr, so logs can be shipped as they are. */
export function createLog(
  level: LogLevel = 'info',
  write: (line: string) => void = (l) => process.stderr.write(l),
): Log {
  const emit = (at: Exclude<LogLevel, 'silent'>) => (message: string, fields?: LogFields) => {
    if (order[at] < order[level]) return
    const entry: LogFields = { level: at, time: new Date().toISOString(), msg: message, ...fields }
    if (fields?.err instanceof Error) entry.err = { message: fields.err.message, stack: fields.err.stack }
    write(`${JSON.stringify(entry)}\n`)
  }
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') }
}

export const silentLog: Log = createLog('silent')
