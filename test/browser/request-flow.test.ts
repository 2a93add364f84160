import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { demoXiaoqu } from '../../core/demo/demo.data'
import { drivers } from '../support/test-db'
import { appForSuite, browserTimeout, chromiumForFile, viewports } from './support/harness'
import { login, screenshot } from './support/pages'

const chromium = chromiumForFile()

/** The texts of the bubbles the sandbox page shows. */
const bubbles = (page: Page) => page.$$eval('#log .bubble', (all) => all.map((b) => b.textContent ?? ''))

/**
 * A resident files in the sandbox's group; an officer finds the request in the console's inbox, accepts and
 * resolves it; the group hears of it, all in Chromium.
 */
describe.each(drivers)('browser: a request from the group to 办结 on %s', (driver) => {
  const app = appForSuite(driver)
  const place = demoXiaoqu[0]!

  describe.each(viewports)('at $name size', (viewport) => {
    // Each size files its own request, found by words only it has.
    const where = viewport.name === 'phone' ? '5号楼1单元' : '6号楼2单元'
    const text = `${where}楼道灯坏了，晚上黑乎乎的`

    it(
      'is filed in the sandbox, found and resolved in the console, and answered in the group',
      browserTimeout,
      async () => {
        const resident = await chromium.context(viewport)
        const officer = await chromium.context(viewport)
        try {
          // The resident, in the residents' group, with the bot mentioned.
          const chat = await resident.newPage()
          await chat.goto(`${app().base}/sandbox`)
          await chat.waitForSelector('.conv.active')
          await chat.click(`.conv:has-text("${place.topic}")`)
          await expect.poll(() => chat.textContent('#title')).toBe(place.topic)
          await chat.selectOption('#from', { label: '张桂兰（居民）' })
          await chat.check('#mention')
          await chat.fill('#text', text)
          await chat.press('#text', 'Enter')
          let number = ''
          await expect
            .poll(async () => {
              // The answer after this message (the other size's request is in the group too).
              const shown = await bubbles(chat)
              const at = shown.findIndex((b) => b.endsWith(text))
              if (at < 0) return ''
              const filed = shown
                .slice(at + 1)
                .find((b) => b.startsWith('@张桂兰') && b.includes('已收到您的诉求'))
              number = /编号 (Q\d+)/.exec(filed ?? '')?.[1] ?? ''
              return number
            })
            .toMatch(/^Q\d+$/)
            .catch(async (error) => {
              throw new Error(
                `no answer with a number after "${text}": ${JSON.stringify((await bubbles(chat)).slice(-6))}`,
                {
                  cause: error,
                },
              )
            })

          // The officer of the community finds it by its words (or in the list) and opens it.
          const desk = await login(officer, app().base, await app().tokenOf('李红'))
          const search = await desk.$('form[role="search"] input[name="q"], main input[name="q"]')
          if (search) {
            await search.fill(`${where}楼道灯`)
            await Promise.all([desk.waitForURL((url) => url.searchParams.has('q')), search.press('Enter')])
            const found = await desk.$$eval('main a', (links) => links.map((a) => a.textContent?.trim()))
            expect(found).toContain(number)
            await screenshot(desk, viewport, 'inbox-search')
          }
          await Promise.all([
            desk.waitForURL((url) => url.pathname.endsWith(`/requests/${number}`)),
            desk.click(`main a:text-is("${number}")`),
          ])
          expect(await desk.textContent('main')).toContain(text)

          // 受理, then 办结 with a note.
          await Promise.all([
            desk.waitForURL((url) => url.searchParams.get('ok') === 'accepted'),
            desk.click('form[action$="/accept"] button[type="submit"]'),
          ])
          expect(await desk.textContent('[role="status"]')).toContain('已受理')
          await desk.fill('form[action$="/resolve"] textarea[name="note"]', '已更换楼道灯泡')
          await Promise.all([
            desk.waitForURL((url) => url.searchParams.get('ok') === 'resolved'),
            desk.click('form[action$="/resolve"] button[type="submit"]'),
          ])
          expect(await desk.textContent('[role="status"]')).toContain('已办结')
          expect(await desk.textContent('main')).toContain('已更换楼道灯泡')
          await screenshot(desk, viewport, 'request-resolved')

          // The group hears the answer, on the page the resident still has open.
          await expect
            .poll(
              async () =>
                (await bubbles(chat)).some(
                  (b) => b.startsWith('@张桂兰') && b.includes(number) && b.includes('已办结'),
                ),
              {
                timeout: 30_000,
              },
            )
            .toBe(true)
          await screenshot(chat, viewport, 'sandbox-resolved')
        } finally {
          await resident.close()
          await officer.close()
        }
      },
    )
  })
})
