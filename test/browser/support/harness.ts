import { existsSync } from 'node:fs'
import type { Server } from 'node:http'
import { type ServerType, serve } from '@hono/node-server'
import { eq } from 'drizzle-orm'
import { type Browser, type BrowserContext, chromium } from 'playwright-core'
import { afterAll, beforeAll, vi } from 'vitest'
import { createApi } from '../../../api/app'
import { createGuards } from '../../../api/guard'
import { type Bot, createBot } from '../../../bot/bot'
import { createSandboxWorld, type SandboxWorld } from '../../../bot/sandbox/sandbox-world'
import { demoXiaoqu } from '../../../core/demo/demo.data'
import { seedDemoCommunity } from '../../../core/demo/demo.seed'
import { createRateLimiter } from '../../../core/shared/rate-limit'
import { rotateToken } from '../../../core/staff/staff.usecases'
import { requests, staff } from '../../../db/schema'
import { createTestDeps, type TestDeps } from '../../support/deps'
import { adminActor } from '../../support/factories'
import { freePort } from '../../support/gaizao-process'
import type { Driver } from '../../support/test-db'

/** Debian's Chromium: the suite drives it and never downloads a browser of its own. */
export const chromiumPath = '/usr/bin/chromium'

const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
]

/** The two sizes every page must work at: a phone held in one hand, and an office desktop. */
export const viewports = [
  {
    name: 'phone',
    width: 390,
    height: 844,
    options: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 },
  },
  { name: 'desktop', width: 1366, height: 900, options: { viewport: { width: 1366, height: 900 } } },
] as const

export type Viewport = (typeof viewports)[number]

/** Chromium, or a failure that says how to get it: the browser suite is never skipped. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(chromiumPath)) {
    throw new Error(
      `The browser tests need Debian's Chromium at ${chromiumPath}, which is missing. Install it (and the ` +
        'CJK fonts, without which Chinese renders as boxes) with: ' +
        'sudo apt-get install --no-install-recommends chromium fonts-noto-cjk ' +
        '(.ci/run does this in CI). The tests never download a browser.',
    )
  }
  return chromium.launch({ executablePath: chromiumPath, args: chromiumArgs })
}

export interface RunningApp {
  deps: TestDeps
  /** http://127.0.0.1:<port>, no trailing slash. */
  base: string
  world: SandboxWorld
  bot: Bot
  /** A console token for a demo staff member (王建国, 李红, 赵强 or 陈静), made on first use. */
  tokenOf(name: string): Promise<string>
  /** A resident says `text` to the bot in a demo group (农光里's by default); resolves to the request's number. */
  fileFromGroup(text: string, options?: { from?: string; topic?: string }): Promise<string>
  /** 催办 from the group: the request's author chases it, and the chase is recorded. */
  chaseFromGroup(number: string): Promise<void>
  close(): Promise<void>
}

/**
 * The real app in this process, as main.ts builds it with the sandbox: the demo community (with its
 * project), the bot over the mock puppet, served over HTTP on a free loopback port. The sandbox's limit on
 * messages per address is raised: every test's messages come from 127.0.0.1.
 */
export async function startApp(driver: Driver): Promise<RunningApp> {
  const deps = await createTestDeps(driver)
  await seedDemoCommunity(deps.db, deps.clock.now(), deps)
  const world = createSandboxWorld(deps.config.botName)
  const bot = await createBot(deps, { sandbox: world })
  const guards = { ...createGuards(), sandboxSay: createRateLimiter({ limit: 100_000, windowMs: 60_000 }) }
  const app = createApi(deps, { bot, sandbox: world, guards })
  const port = await freePort()
  const server: ServerType = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' })
  await new Promise<void>((resolve) => server.once('listening', () => resolve()))
  const tokens = new Map<string, string>()
  const base = `http://127.0.0.1:${port}`
  const sayInGroup = async (text: string, options: { from?: string; topic?: string } = {}) => {
    const res = await fetch(`${base}/sandbox/api/say`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        room: options.topic ?? demoXiaoqu[0]!.topic,
        from: options.from ?? '张桂兰',
        text,
        mentionBot: true,
      }),
    })
    if (res.status !== 202) throw new Error(`the sandbox refused the message: ${await res.text()}`)
  }
  return {
    deps,
    base,
    world,
    bot,
    async tokenOf(name) {
      const known = tokens.get(name)
      if (known) return known
      const [row] = await deps.db.select().from(staff).where(eq(staff.name, name))
      if (!row) throw new Error(`no demo staff member ${name}`)
      const token = await rotateToken(deps.db, await adminActor(deps), row.id, deps.clock.now())
      tokens.set(name, token)
      return token
    },
    async fileFromGroup(text, options = {}) {
      await sayInGroup(text, options)
      for (let i = 0; i < 1_200; i++) {
        const [row] = await deps.db.select().from(requests).where(eq(requests.text, text))
        if (row) return row.number
        await new Promise((resolve) => setTimeout(resolve, 25))
      }
      throw new Error(`no request was filed for "${text}"`)
    },
    async chaseFromGroup(number) {
      await sayInGroup(`催办 ${number}`)
      for (let i = 0; i < 1_200; i++) {
        const [row] = await deps.db.select().from(requests).where(eq(requests.number, number))
        if (row && row.urgeCount > 0) return
        await new Promise((resolve) => setTimeout(resolve, 25))
      }
      throw new Error(`${number} was not chased`)
    },
    async close() {
      const http = server as Server
      http.closeAllConnections()
      await new Promise<void>((resolve) => http.close(() => resolve()))
      await bot.stop()
      await deps.database.close()
    },
  }
}

/**
 * One Chromium for the whole test file. Also the file's patience: a bot's answer or a page can take
 * seconds on a busy machine, so `expect.poll` waits up to 30 s (not 1 s), a hook up to 2 minutes.
 */
export function chromiumForFile() {
  vi.setConfig({ hookTimeout: 120_000, expect: { poll: { timeout: 30_000, interval: 100 } } })
  let browser: Browser | undefined
  beforeAll(async () => {
    browser = await launchChromium()
  })
  afterAll(async () => {
    await browser?.close()
  })
  return {
    get browser(): Browser {
      if (!browser) throw new Error('Chromium is not running')
      return browser
    },
    /** A fresh context (its own cookies) at `viewport`. */
    context(viewport: Viewport): Promise<BrowserContext> {
      if (!browser) throw new Error('Chromium is not running')
      return browser.newContext({ ...viewport.options, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' })
    },
  }
}

/** The app for a `describe.each(drivers)` block: started before its tests, closed after them. */
export function appForSuite(driver: Driver) {
  let running: RunningApp | undefined
  beforeAll(async () => {
    running = await startApp(driver)
  })
  afterAll(async () => {
    await running?.close()
  })
  return () => {
    if (!running) throw new Error('the app is not running')
    return running
  }
}

/** Timeouts for a browser test: pages take a while, a crawl of every page longer. */
export const browserTimeout = { timeout: 120_000 }
