import type { createApi } from '../../api/app'

export interface ApiAnswer {
  status: number
  // biome-ignore lint/suspicious/noExplicitAny: tests read loosely shaped JSON answers
  body: any
  text: string
}

/** One authenticated API call as a test makes it: JSON (or any text with its type) in, status and body out. */
export function apiCaller(app: () => ReturnType<typeof createApi>) {
  return async (token: string, method: string, path: string, body?: unknown, type = 'application/json') => {
    const res = await app().request(`/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': type },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    })
    const text = await res.text()
    let parsed: unknown = text
    try {
      parsed = JSON.parse(text)
    } catch {}
    return { status: res.status, body: parsed, text } as ApiAnswer
  }
}
