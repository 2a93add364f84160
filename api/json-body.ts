import type { MiddlewareHandler } from 'hono'
import { mayHoldLoneSurrogate, wellFormed } from '../core/shared/unicode'

/** Every string in a parsed JSON value, keys included, with lone surrogates made U+FFFD. */
function cleaned(value: unknown): unknown {
  if (typeof value === 'string') return wellFormed(value)
  if (Array.isArray(value)) return value.map(cleaned)
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [wellFormed(k), cleaned(v)]))
  }
  return value
}

const withBody = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

/**
 * JSON bodies as the routes read them: `"\ud83d"` (half an emoji, as a truncating client leaves) is valid
 * JSON, but neither database stores it — a jsonb column refuses it, PGlite refuses the whole statement — so
 * every string is made well-formed once, here, before validation. Unparseable JSON is left for the route's
 * validator to refuse with its usual message. Runs after the body limit, so only a bounded body is read.
 */
export function wellFormedJson(): MiddlewareHandler {
  return async (c, next) => {
    if (withBody.has(c.req.method) && /\bjson\b/i.test(c.req.header('content-type') ?? '')) {
      const text = await c.req.text()
      let parsed: unknown
      let ok = true
      try {
        parsed = JSON.parse(text)
      } catch {
        ok = false
      }
      // Hono's request keeps each body reading in `bodyCache`: the parsed value is kept as `json`, so the
      // validator's `c.req.json()` takes it without parsing the text again. A lone surrogate reaches the
      // value only through a `\uD800`–`\uDFFF` escape (a UTF-8 body decodes to well-formed text), so only
      // a body with such an escape is walked and mended, and its text is the mended one too.
      if (ok) {
        const cache = (c.req as unknown as { bodyCache: Record<string, unknown> }).bodyCache
        if (mayHoldLoneSurrogate(text)) {
          parsed = cleaned(parsed)
          cache.text = Promise.resolve(JSON.stringify(parsed))
        }
        cache.json = Promise.resolve(parsed)
      }
    }
    await next()
  }
}
