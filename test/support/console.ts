import { afterAll, beforeAll, beforeEach, expect } from 'vitest'
import { createApi } from '../../api/app'
import { createTestDeps, type TestDeps } from './deps'
import { makeStaff, uniqueId } from './factories'
import type { Driver } from './test-db'

export type ConsoleApp = ReturnType<typeof createApi>

export interface Page {
  status: number
  location: string | null
  type: string | null
  html: string
  setCookies: string[]
}

/** A tiny browser: keeps cookies (ignoring their paths) and posts forms the way a browser does. */
export class Browser {
  readonly cookies = new Map<string, string>()
  constructor(
    private readonly app: ConsoleApp,
    private readonly origin = 'http://localhost',
  ) {}

  async open(
    path: string,
    init: {
      form?: Record<string, string>
      /** A multipart form (file uploads): File values are sent as files. */
      multipart?: Record<string, string | File>
      headers?: Record<string, string>
    } = {},
  ): Promise<Page> {
    const headers = new Headers(init.headers)
    if (this.cookies.size > 0) {
      headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '))
    }
    let body: string | FormData | undefined
    if (init.form) {
      headers.set('content-type', 'application/x-www-form-urlencoded')
      body = new URLSearchParams(init.form).toString()
    } else if (init.multipart) {
      const data = new FormData()
      for (const [name, value] of Object.entries(init.multipart)) data.append(name, value)
      body = data
    }
    const res = await this.app.request(`${this.origin}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers,
      body,
    })
    const setCookies = res.headers.getSetCookie()
    for (const line of setCookies) {
      const [pair = '', ...attributes] = line.split(';')
      const at = pair.indexOf('=')
      const name = pair.slice(0, at).trim()
      const value = pair.slice(at + 1).trim()
      if (!value || attributes.some((a) => /^\s*max-age=0$/i.test(a))) this.cookies.delete(name)
      else this.cookies.set(name, value)
    }
    return {
      status: res.status,
      location: res.headers.get('location'),
      type: res.headers.get('content-type'),
      html: await res.text(),
      setCookies,
    }
  }

  /** Submits the form whose action is `action` on the page just read, with its CSRF field. */
  post(page: Page, action: string, fields: Record<string, string> = {}) {
    return this.open(action, { form: { _csrf: csrfOf(page.html, action), ...fields } })
  }

  /** Submits the multipart form whose action is `action` (with files), with its CSRF field. */
  upload(page: Page, action: string, fields: Record<string, string | File>) {
    return this.open(action, { multipart: { _csrf: csrfOf(page.html, action), ...fields } })
  }
}

/** The CSRF field of the form posting to `action` (or of the first form). */
export function csrfOf(html: string, action?: string) {
  const start = action ? html.indexOf(`action="${action}"`) : 0
  expect(start, `no form posting to ${action}`).toBeGreaterThanOrEqual(0)
  const match = /name="_csrf" value="([^"]+)"/.exec(html.slice(start))
  expect(match, 'no CSRF field').not.toBeNull()
  return match![1]!
}

/**
 * A console suite's hooks: fresh deps and app for the suite (closed after it), the clock at Monday
 * 2 March 2026 10:00 Shanghai before each test. `ready` receives them once made; `login` opens a browser
 * (at `origin`, http://localhost by default) already logged in with `token`, `loginPropertyStaff` one for a
 * new property staff member.
 */
export function consoleSuite(driver: Driver, ready: (made: { deps: TestDeps; app: ConsoleApp }) => void) {
  let deps: TestDeps
  let app: ConsoleApp
  beforeAll(async () => {
    deps = await createTestDeps(driver)
    app = createApi(deps)
    ready({ deps, app })
  })
  afterAll(async () => {
    await deps.database.close()
  })
  beforeEach(() => {
    deps.clock.set(new Date('2026-03-02T10:00:00+08:00'))
  })

  async function login(token: string, origin?: string) {
    const browser = new Browser(app, origin)
    const form = await browser.open('/console/login')
    expect(form.status).toBe(200)
    const done = await browser.post(form, '/console/login', { token })
    expect(done.status).toBe(303)
    return browser
  }

  /** A browser logged in as a new property staff member of the xiaoqu. */
  async function loginPropertyStaff(xiaoquId: number) {
    const property = await makeStaff(deps, { name: uniqueId('物业'), role: 'property_staff', xiaoquId })
    return login(property.token)
  }

  return { login, loginPropertyStaff }
}
