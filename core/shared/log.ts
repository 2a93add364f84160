import pino from 'pino'

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent'
export type LogFields = Record<string, unknown>

export interface Log {
  debug(message: string, fields?: LogFields): void
  info(message: string, fields?: LogFields): void
  warn(message: string, fields?: LogFields): void
  error(message: string, fields?: LogFields): void
  /** A log whose every line also carries `fields` (a request id, a job name). */
  child?(fields: LogFields): Log
}

/**
 * Fields that never reach a log line whole: residents' phones, tokens and their hashes, cookies, the
 * Authorization header, secrets. One level deep as well, so `{ staff: { phone } }` is covered too.
 */
export const redactedPaths = [
  'phone',
  'token',
  'tokenHash',
  'authorization',
  'cookie',
  'password',
  'secret',
  'headers.authorization',
  'headers.cookie',
  'req.headers.authorization',
  'req.headers.cookie',
  '*.phone',
  '*.token',
  '*.tokenHash',
  '*.authorization',
  '*.cookie',
  '*.password',
  '*.secret',
]

/**
 * drizzle's "Failed query: … \nparams: …" carries the query's parameters (a token's hash, a phone): the
 * query text stays, the parameters go. Up to the first stack frame, or the end of the text.
 */
const paramsPattern = /\nparams: [\s\S]*?(?=\n\s+at |$)/g
const redactedParams = '\nparams: [redacted]'

export function stripQueryParams(text: string): string {
  return text.includes('\nparams: ') ? text.replace(paramsPattern, redactedParams) : text
}

/** pino's error serializer, minus the parameters a failed query carries (drizzle, postgres.js, PGlite). */
function serializeError(error: unknown): unknown {
  if (!(error instanceof Error)) return error
  const exact: string[] = []
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const params = (e as { params?: unknown }).params
    if (Array.isArray(params)) exact.push(`\nparams: ${params}`)
  }
  const scrub = (text: unknown) => {
    if (typeof text !== 'string') return text
    let out = text
    for (const p of exact) out = out.split(p).join(redactedParams)
    return stripQueryParams(out)
  }
  const serialized = pino.stdSerializers.err(error) as unknown as Record<string, unknown>
  const safe: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(serialized)) {
    if (key === 'params' || key === 'parameters') continue
    safe[key] = typeof value === 'string' ? scrub(value) : value
  }
  return safe
}

/** Other text fields may hold a failed query's message too (`error: err.message`). */
function scrubFields(fields: Record<string, unknown>) {
  for (const [key, value] of Object.entries(fields)) {
    if (typeof value === 'string' && value.includes('\nparams: ')) fields[key] = stripQueryParams(value)
  }
  return fields
}

function wrap(logger: pino.Logger, bound?: LogFields): Required<Log> {
  // The message first, as the lines always were: readers (and a start-up check) look for `"msg":…` early.
  // A child's fields are merged into each line rather than made a pino child: a request's log is made for
  // every request and mostly writes one line or none, and a pino child serializes (and redacts) its fields
  // when it is made.
  const emit =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (message: string, fields?: LogFields): void => {
      if (!logger.isLevelEnabled(level)) return
      logger[level]({ msg: message, ...bound, ...fields })
    }
  return {
    debug: emit('debug'),
    info: emit('info'),
    warn: emit('warn'),
    error: emit('error'),
    child: (fields) => wrap(logger, { ...bound, ...fields }),
  }
}

/**
 * One JSON line per event (pino), on stderr by default, so logs can be shipped as they are: `level` as its
 * name, `time` in ISO 8601, `msg`, then the fields, with personal data and secrets redacted.
 */
export function createLog(level: LogLevel = 'info', write?: (line: string) => void): Required<Log> {
  const destination = write ? { write } : pino.destination({ fd: 2, sync: true })
  const logger = pino(
    {
      level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }), log: scrubFields },
      serializers: { err: serializeError },
      redact: { paths: redactedPaths, censor: '[redacted]' },
    },
    destination,
  )
  return wrap(logger)
}

/** `log` with `fields` on each line, whether or not it can make children itself. */
export function logWith(log: Log, fields: LogFields): Log {
  if (log.child) return log.child(fields)
  const bound = (at: 'debug' | 'info' | 'warn' | 'error') => (message: string, more?: LogFields) =>
    log[at](message, { ...fields, ...more })
  return { debug: bound('debug'), info: bound('info'), warn: bound('warn'), error: bound('error') }
}

export const silentLog: Log = createLog('silent')
