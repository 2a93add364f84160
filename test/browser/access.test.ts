import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { demoXiaoqu } from '../../core/demo/demo.data'
import { xiaoqu } from '../../db/schema'
import { makeStaff, makeWorld, uniqueId } from '../support/factories'
import { drivers } from '../support/test-db'
import { appForSuite, chromiumForFile, viewports } from './support/harness'
import {
  carriesId,
  crawlMenu,
  expectNoHorizontalOverflow,
  isDownload,
  login,
  menuLinks,
  open,
  pageName,
  screenshot,
} from './support/pages'

const chromium = chromiumForFile()
const slow = { timeout: 300_000 }

/** Who sees which pages: property staff their own menu only; another street's officer nothing of this one. */
describe.each(drivers)('browser: menus and scopes on %s', (driver) => {
  const app = appForSuite(driver)

  describe.each(viewports)('at $name size', (viewport) => {
    it('shows property staff only their own menu, every page of it opening', slow, async () => {
      const { deps, base } = app()
      const [place] = await deps.db.select().from(xiaoqu).where(eq(xiaoqu.name, demoXiaoqu[0]!.name))
      const property = await makeStaff(deps, {
        name: uniqueId('物业'),
        role: 'property_staff',
        xiaoquId: place!.id,
      })
      const context = await chromium.context(viewport)
      try {
        const page = await login(context, base, property.token)
        const menu = await menuLinks(page)
        const hrefs = menu.map((link) => link.href)
        expect(hrefs).toContain('/console')
        for (const hidden of ['/console/dashboard', '/console/claims', '/console/projects']) {
          expect(hrefs, `${hidden} is in the property menu`).not.toContain(hidden)
        }
        for (const link of menu) {
          expect(await open(page, base, link.href), `${link.label} (${link.href})`).toBe(200)
          await expectNoHorizontalOverflow(page, link.href)
          await screenshot(page, viewport, `property-${pageName(link.href)}`)
        }
        // Not offered, and refused when typed in.
        for (const hidden of ['/console/dashboard', '/console/claims', '/console/projects']) {
          expect(await open(page, base, hidden), hidden).toBe(403)
        }
      } finally {
        await context.close()
      }
    })

    it("refuses an officer of another street every page of this street's things", slow, async () => {
      const { deps, base } = app()
      // This street's things: the demo project (and its tasks), and a request filed in its group.
      await app().fileFromGroup(`${viewport.name === 'phone' ? '8' : '9'}号楼门口的井盖松了，踩上去晃`)
      const ours = await chromium.context(viewport)
      const theirs = await chromium.context(viewport)
      try {
        const leader = await login(ours, base, await app().tokenOf('王建国'))
        const mine = await crawlMenu(leader, base)
        const stranger = (await makeWorld(deps)).officer
        const other = await login(theirs, base, stranger.token)
        const theirsSeen = new Set((await crawlMenu(other, base)).links)
        // Pages naming one of this street's things: the leader reaches them, the stranger never sees them.
        const targets = mine.links.filter((href) => carriesId(href) && !theirsSeen.has(href))
        expect(targets.some((href) => href.startsWith('/console/requests/'))).toBe(true)
        expect(targets.some((href) => href.startsWith('/console/projects/'))).toBe(true)
        for (const href of targets) {
          const answer = await theirs.request.get(`${base}${href}`, { maxRedirects: 0 })
          expect([403, 404], `${href} answered ${answer.status()} to another street's officer`).toContain(
            answer.status(),
          )
          if (!isDownload(href)) {
            expect(await answer.text()).not.toContain('井盖松了')
          }
        }
      } finally {
        await ours.close()
        await theirs.close()
      }
    })
  })
})
