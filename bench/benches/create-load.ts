// The API-create bench's load: 50 connections each filing the next 代录 request as soon as the last is
// answered, for a known resident called by name and phone. Run in the bench's own process, or in a process
// of its own (load-process.ts, BENCH_LOADGEN=process).

/** The part of autocannon's result the bench reads (the package ships no types). */
export interface LoadResult {
  requests: { average: number }
  latency: { p99: number }
  non2xx: number
  errors: number
  timeouts: number
  '2xx': number
}
type Autocannon = (options: Record<string, unknown>) => Promise<LoadResult>
const autocannon = ((await import('autocannon' as string)) as { default: Autocannon }).default

export interface CreateLoad {
  /** The server's origin. */
  url: string
  /** Seconds. */
  duration: number
  token: string
  xiaoquId: number
  /** Request texts, taken in turn. */
  texts: string[]
  /** Residents 居民1 … 居民N are known, with phone 139 and their number padded to 8 digits. */
  residents: number
}

export function createLoad({ url, duration, token, xiaoquId, texts, residents }: CreateLoad) {
  return autocannon({
    url: `${url}/api/v1/requests`,
    connections: 50,
    duration,
    // PGlite answers one statement at a time: 50 waiting callers see long waits, not failures.
    timeout: 120,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    requests: [
      {
        setupRequest(request: Record<string, unknown>) {
          const k = 1 + Math.floor(Math.random() * residents)
          request.body = JSON.stringify({
            xiaoquId,
            text: texts[k % texts.length],
            channel: 'phone',
            residentName: `居民${k}`,
            phone: `139${String(k).padStart(8, '0')}`,
          })
          return request
        },
      },
    ],
  })
}
