/**
 * The database cannot be reached right now (stopped, restarting, frozen, unreachable): the caller should
 * retry later. Raised by db/client.ts while the database is known to be down, or found down mid-query.
 */
export class DatabaseUnavailableError extends Error {
  readonly code = 'DATABASE_UNAVAILABLE'
  constructor(message = 'the database is unavailable', options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'DatabaseUnavailableError'
  }
}

/** Socket errors (Node) and postgres.js's own connection errors. */
const connectionCodes = new Set([
  'DATABASE_UNAVAILABLE',
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
])

/**
 * SQLSTATEs of a server going away or refusing for now: class 08 (connection exception), 57P01–57P03
 * (shut down by an administrator, crashed, cannot connect now: starting or stopping), 53300 (too many
 * connections). A statement timeout (57014) is not here: retrying the same query would time out again.
 */
const unavailableStates = /^(08[0-9A-Z]{3}|57P0[123]|53300)$/

/**
 * Whether an error means "the database is not there right now" rather than "this query is wrong":
 * looks through drizzle's wrapping (`cause`) and Node's AggregateError of several addresses.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const seen = new Set<unknown>()
  const visit = (e: unknown, depth: number): boolean => {
    if (!e || typeof e !== 'object' || depth > 5 || seen.has(e)) return false
    seen.add(e)
    if (e instanceof DatabaseUnavailableError) return true
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string' && (connectionCodes.has(code) || unavailableStates.test(code))) return true
    if (e instanceof AggregateError && e.errors.some((inner) => visit(inner, depth + 1))) return true
    return visit((e as { cause?: unknown }).cause, depth + 1)
  }
  return visit(error, 0)
}
