import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { drivers } from '../support/test-db'
import { appForSuite, chromiumForFile, type Viewport, viewports } from './support/harness'
import {
  carriesId,
  consoleLinks,
  expectCardCellsAligned,
  expectNoHorizontalOverflow,
  isDownload,
  login,
  menuLinks,
  open,
  pageName,
  pathKind,
  screenshot,
} from './support/pages'

const chromium = chromiumForFile()
const slow = { timeout: 600_000 }

/** Whether the console's navigation (the links, not the bar) is shown. */
const navShown = (page: Page) => page.isVisible('header nav')

/**
 * Every page an admin's menu offers, and one page of each kind they link to, at both sizes: no sideways
 * scrolling, the menu folded behind 菜单 on a phone and open on a desktop, a screenshot of each.
 */
describe.each(drivers)('browser: every page fits the screen on %s', (driver) => {
  const app = appForSuite(driver)

  const checkMenu = async (page: Page, viewport: Viewport, where: string) => {
    if (viewport.name === 'phone') {
      expect(await navShown(page), `the menu is open on ${where}`).toBe(false)
      expect(await page.isVisible('header label:has-text("菜单")')).toBe(true)
      await page.tap('header label:has-text("菜单")')
      expect(await navShown(page), `菜单 does not open on ${where}`).toBe(true)
      expect(await page.isVisible('header nav a[href="/console"]')).toBe(true)
      await expectNoHorizontalOverflow(page, `${where} with the menu open`)
      await page.tap('header label:has-text("菜单")')
      expect(await navShown(page)).toBe(false)
    } else {
      expect(await navShown(page)).toBe(true)
      expect(await page.isVisible('header label:has-text("菜单")')).toBe(false)
    }
  }

  describe.each(viewports)('at $name size', (viewport) => {
    it("fits every page of an admin's menu", slow, async () => {
      const { base, deps } = app()
      const filed = await app().fileFromGroup(
        `${viewport.name === 'phone' ? '2' : '3'}号楼屋顶漏水，家里墙皮都泡了`,
      )
      // Chased, so the inbox shows a badge beside its status.
      await app().chaseFromGroup(filed)
      const context = await chromium.context(viewport)
      try {
        const page = await login(context, base, deps.adminToken)
        const menu = await menuLinks(page)
        // The 管理 menu is there, and everything in it is a page like the others.
        expect(menu.some((link) => link.admin)).toBe(true)
        const failures: string[] = []
        for (const link of menu) {
          const status = await open(page, base, link.href)
          if (status !== 200) {
            failures.push(`${link.label} ${link.href}: ${status}`)
            continue
          }
          await expectNoHorizontalOverflow(page, link.href)
          await expectCardCellsAligned(page, link.href)
          await checkMenu(page, viewport, link.href)
          await screenshot(page, viewport, pageName(link.href))
        }
        expect(failures).toEqual([])
      } finally {
        await context.close()
      }
    })

    it('fits one page of each kind the menu pages link to', slow, async () => {
      const { base, deps } = app()
      const context = await chromium.context(viewport)
      try {
        const page = await login(context, base, deps.adminToken)
        const menu = await menuLinks(page)
        const kinds = new Map<string, string>()
        for (const link of menu) {
          if ((await open(page, base, link.href)) !== 200) continue
          for (const href of await consoleLinks(page)) {
            if (carriesId(href) && !isDownload(href) && !kinds.has(pathKind(href)))
              kinds.set(pathKind(href), href)
          }
        }
        expect([...kinds.keys()]).toContain('/console/requests/:id')
        expect([...kinds.keys()]).toContain('/console/projects/:id')
        for (const href of kinds.values()) {
          expect(await open(page, base, href), href).toBe(200)
          await expectNoHorizontalOverflow(page, href)
          await expectCardCellsAligned(page, href)
          await screenshot(page, viewport, pageName(href))
        }
      } finally {
        await context.close()
      }
    })
  })
})
