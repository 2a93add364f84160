import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { BrowserContext, Page } from 'playwright-core'
import { expect } from 'vitest'
import type { Viewport } from './harness'

const root = join(import.meta.dirname, '..', '..', '..')
/** Where screenshots go: test-artifacts/screenshots/<viewport>/<name>.png (ignored by git). */
export const screenshotDir = join(root, 'test-artifacts', 'screenshots')

/** Saves a full-page screenshot as test-artifacts/screenshots/<viewport>/<name>.png; returns its path. */
export async function screenshot(page: Page, viewport: Viewport, name: string) {
  const dir = join(screenshotDir, viewport.name)
  mkdirSync(dir, { recursive: true })
  const path = join(dir, `${name.replace(/[^\w\u4e00-\u9fff-]+/g, '_')}.png`)
  await page.screenshot({ path, fullPage: true })
  return path
}

/** Signs in through the console's login form with a staff token; lands on the inbox (or `next`). */
export async function login(context: BrowserContext, base: string, token: string, next?: string) {
  const page = await context.newPage()
  const query = next ? `?next=${encodeURIComponent(next)}` : ''
  await page.goto(`${base}/console/login${query}`)
  await page.fill('input[name="token"]', token)
  await Promise.all([page.waitForURL((url) => !url.pathname.endsWith('/login')), page.click('form button')])
  return page
}

/** Opens `path` and returns the HTTP status of the page itself. */
export async function open(page: Page, base: string, path: string) {
  const response = await page.goto(path.startsWith('http') ? path : `${base}${path}`)
  return response?.status() ?? 0
}

export interface MenuLink {
  href: string
  label: string
  /** Under the 管理 dropdown. */
  admin: boolean
}

/** The console menu's links as the page shows them (the 管理 dropdown's too), paths only. */
export function menuLinks(page: Page): Promise<MenuLink[]> {
  return page.$$eval('header nav a', (links) =>
    links.map((a) => ({
      href: new URL((a as HTMLAnchorElement).href).pathname,
      label: (a.textContent ?? '').trim(),
      admin: a.closest('details') !== null,
    })),
  )
}

/** The page is no wider than the window (one pixel of rounding allowed). */
export async function expectNoHorizontalOverflow(page: Page, what: string) {
  const { scrollWidth, innerWidth } = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
  }))
  expect(
    scrollWidth,
    `${what} overflows: ${scrollWidth}px wide in a ${innerWidth}px window`,
  ).toBeLessThanOrEqual(innerWidth + 1)
}

/**
 * On a phone a table's rows are cards, a label beside each value: whatever a cell holds (its text, a
 * link, a badge) starts where its first line starts, never under the label.
 */
export async function expectCardCellsAligned(page: Page, what: string) {
  const misplaced = await page.$$eval('table.cards td[data-label]:not(.wide)', (cells) =>
    cells.flatMap((td) => {
      // Cards only where the table's head is hidden: on a desktop it is a table.
      const head = td.closest('table')?.querySelector('thead')
      if (!head || getComputedStyle(head).display !== 'none') return []
      const rects: DOMRect[] = []
      for (const node of Array.from(td.childNodes)) {
        const range = document.createRange()
        range.selectNode(node)
        rects.push(...Array.from(range.getClientRects()).filter((r) => r.width > 0 && r.height > 0))
      }
      if (rects.length < 2) return []
      const start = rects[0]!.left
      const stray = rects.find((r) => r.left < start - 1)
      return stray ? [`${td.getAttribute('data-label')}: ${td.textContent?.trim().slice(0, 40)}`] : []
    }),
  )
  expect(misplaced, `${what}: a cell's content falls under its label`).toEqual([])
}

/** Whether the element is inside the visible part of the window. */
export async function inViewport(page: Page, selector: string) {
  return page.$eval(selector, (el) => {
    const box = el.getBoundingClientRect()
    return box.bottom > 0 && box.top < window.innerHeight && box.right > 0 && box.left < window.innerWidth
  })
}

/** Links on the page that stay inside the console, as paths with their query. */
export function consoleLinks(page: Page): Promise<string[]> {
  return page.$$eval('main a[href]', (links) =>
    links
      .map((a) => new URL((a as HTMLAnchorElement).href))
      .filter((url) => url.origin === location.origin && url.pathname.startsWith('/console'))
      .map((url) => url.pathname + url.search),
  )
}

/** Whether a console path names one thing (a request, a project…): a segment after the area has a digit. */
export const carriesId = (path: string) =>
  new URL(path, 'http://x').pathname
    .split('/')
    .slice(2)
    .some((segment) => /\d/.test(segment))

/** A path's kind: its id-carrying segments replaced, so one page of each kind can stand for all. */
export const pathKind = (path: string) =>
  new URL(path, 'http://x').pathname
    .split('/')
    .map((segment, i) => (i > 1 && /\d/.test(segment) ? ':id' : segment))
    .join('/')

/** Files rather than pages (exports, photos): fetched, never opened as a page. */
export const isDownload = (path: string) =>
  /\.(csv|xlsx|pdf|png|jpe?g)$/i.test(new URL(path, 'http://x').pathname) ||
  /\/(photos|files|attachments|download)\//.test(path)

/** A screenshot's name for a console path: /console → inbox, /console/notices/N1 → notices-N1. */
export const pageName = (path: string) =>
  new URL(path, 'http://x').pathname.replace(/^\/console\/?/, '').replace(/\//g, '-') || 'inbox'

/** The menu of whoever is signed in on `page`, then every console link on each menu page. */
export async function crawlMenu(page: Page, base: string) {
  await open(page, base, '/console')
  const menu = await menuLinks(page)
  const found = new Set<string>()
  for (const link of menu) {
    if ((await open(page, base, link.href)) !== 200) continue
    for (const href of await consoleLinks(page)) found.add(href)
  }
  return { menu, links: [...found] }
}
