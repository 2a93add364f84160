import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { demoXiaoqu } from '../../core/demo/demo.data'
import { drivers } from '../support/test-db'
import { appForSuite, browserTimeout, chromiumForFile, type RunningApp, viewports } from './support/harness'
import { expectNoHorizontalOverflow, inViewport, screenshot } from './support/pages'

const chromium = chromiumForFile()

interface Entry {
  seq: number
  from: string
  fromId: string
  text: string
}

/** The sandbox page itself (api/sandbox/sandbox.page.ts): its script, layout and speaker memory. */
describe.each(drivers)('browser: the sandbox page on %s', (driver) => {
  const app = appForSuite(driver)
  const [first, second] = [demoXiaoqu[0]!, demoXiaoqu[1]!]

  const transcript = async (running: RunningApp, topic: string): Promise<Entry[]> => {
    const res = await fetch(`${running.base}/sandbox/api/transcript?room=${encodeURIComponent(topic)}`)
    expect(res.status).toBe(200)
    return ((await res.json()) as { messages: Entry[] }).messages
  }

  /** Opens /sandbox, failing on any script error or CSP refusal, and opens the group `topic`. */
  const openSandbox = async (page: Page, topic: string) => {
    const problems: string[] = []
    page.on('pageerror', (error) => problems.push(error.message))
    page.on('console', (message) => {
      // A failed load is reported below with its address (the browser asks for /favicon.ico on its own).
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
        problems.push(message.text())
      }
    })
    page.on('response', (response) => {
      const url = new URL(response.url())
      if (response.status() >= 400 && url.pathname !== '/favicon.ico') {
        problems.push(`${response.status()} ${url.pathname}`)
      }
    })
    await page.goto(`${app().base}/sandbox`)
    await page.waitForSelector('.conv.active')
    await page.click(`.conv:has-text("${topic}")`)
    await expect.poll(() => page.textContent('#title')).toBe(topic)
    return problems
  }

  const speakerLabel = (page: Page) =>
    page.$eval('#from', (s) => (s as HTMLSelectElement).selectedOptions[0]?.text)

  describe.each(viewports)('at $name size', (viewport) => {
    it(
      'draws each message once however fast they come, and keeps the newest in view',
      browserTimeout,
      async () => {
        const context = await chromium.context(viewport)
        try {
          const page = await context.newPage()
          const problems = await openSandbox(page, first.topic)
          await page.uncheck('#mention')
          const texts = Array.from({ length: 15 }, (_, i) => `${viewport.name} 快速消息 ${i + 1}`)
          for (const text of texts) {
            await page.fill('#text', text)
            await page.press('#text', 'Enter')
          }
          // Every message reached the transcript, in the order typed.
          await expect
            .poll(
              async () => (await transcript(app(), first.topic)).filter((m) => texts.includes(m.text)).length,
            )
            .toBe(15)
          const sent = (await transcript(app(), first.topic)).filter((m) => texts.includes(m.text))
          expect(sent.map((m) => m.text)).toEqual(texts)

          // Exactly one bubble per transcript entry, each entry's own, and it stays so over later polls.
          const bubbles = () =>
            page.$$eval('#log .msg', (divs) => divs.map((d) => Number((d as HTMLElement).dataset.seq)))
          await expect
            .poll(async () => (await bubbles()).length)
            .toBe((await transcript(app(), first.topic)).length)
          await page.waitForTimeout(2_000)
          const entries = await transcript(app(), first.topic)
          expect(await bubbles()).toEqual(entries.map((m) => m.seq))
          expect(await page.$$eval('#log .bubble', (b) => b.map((x) => x.textContent))).toEqual(
            entries.map((m) => m.text),
          )

          // The newest bubble and the send box are on screen.
          expect(await page.textContent('#log .msg:last-child .bubble')).toBe(texts.at(-1))
          expect(await inViewport(page, '#log .msg:last-child')).toBe(true)
          expect(await inViewport(page, '#text')).toBe(true)
          expect(await inViewport(page, 'button.send')).toBe(true)
          await expectNoHorizontalOverflow(page, 'the sandbox')
          await screenshot(page, viewport, 'sandbox')
          expect(problems).toEqual([])
        } finally {
          await context.close()
        }
      },
    )

    it(
      'keeps the speaker chosen in each group, after a send and for a newcomer',
      browserTimeout,
      async () => {
        const context = await chromium.context(viewport)
        try {
          const page = await context.newPage()
          const problems = await openSandbox(page, first.topic)
          await page.uncheck('#mention')
          await page.selectOption('#from', { label: '刘建华（居民）' })
          await page.fill('#text', `${viewport.name} 刘建华说话`)
          await page.press('#text', 'Enter')
          await expect
            .poll(async () =>
              (await transcript(app(), first.topic)).some((m) => m.text === `${viewport.name} 刘建华说话`),
            )
            .toBe(true)
          expect(await speakerLabel(page)).toBe('刘建华（居民）')

          // Another group has its own speaker; going back restores each one's.
          await page.click(`.conv:has-text("${second.topic}")`)
          await expect.poll(() => page.textContent('#title')).toBe(second.topic)
          expect(await speakerLabel(page)).not.toBe('刘建华（居民）')
          await page.selectOption('#from', { label: '王秀英（居民）' })
          await page.click(`.conv:has-text("${first.topic}")`)
          await expect.poll(() => page.textContent('#title')).toBe(first.topic)
          expect(await speakerLabel(page)).toBe('刘建华（居民）')
          await page.click(`.conv:has-text("${second.topic}")`)
          await expect.poll(() => page.textContent('#title')).toBe(second.topic)
          expect(await speakerLabel(page)).toBe('王秀英（居民）')

          // A new name typed once stays the speaker for the next message.
          const newcomer = `新住户${viewport.name === 'phone' ? '小王' : '小李'}`
          await page.fill('#newName', newcomer)
          await page.fill('#text', '大家好，我刚搬来')
          await page.press('#text', 'Enter')
          await expect.poll(() => speakerLabel(page)).toBe(`${newcomer}（居民）`)
          await page.fill('#text', '请问物业电话多少')
          await page.press('#text', 'Enter')
          await expect
            .poll(async () =>
              (await transcript(app(), second.topic)).find(
                (m) => m.text === '请问物业电话多少' && m.from === newcomer,
              ),
            )
            .toBeTruthy()
          expect(await speakerLabel(page)).toBe(`${newcomer}（居民）`)
          expect(problems).toEqual([])
        } finally {
          await context.close()
        }
      },
    )

    it('gives the chat most of the screen and links to the console', browserTimeout, async () => {
      const context = await chromium.context(viewport)
      try {
        const page = await context.newPage()
        await openSandbox(page, first.topic)
        const { log, inner } = await page.evaluate(() => ({
          log: document.getElementById('log')!.getBoundingClientRect().height,
          inner: window.innerHeight,
        }))
        expect(log, `the chat is ${log}px high in a ${inner}px window`).toBeGreaterThanOrEqual(inner / 2)
        // The page itself never scrolls: the chat does, with the send box below it.
        const page_ = await page.evaluate(() => document.documentElement.scrollHeight - window.innerHeight)
        expect(page_).toBeLessThanOrEqual(1)
        await expectNoHorizontalOverflow(page, 'the sandbox')
        expect(await page.getAttribute('header a:has-text("工作台")', 'href')).toBe('/console')
        await Promise.all([
          page.waitForURL((url) => url.pathname.startsWith('/console')),
          page.click('header a:has-text("工作台")'),
        ])
        expect(new URL(page.url()).pathname).toBe('/console/login')
      } finally {
        await context.close()
      }
    })
  })
})
