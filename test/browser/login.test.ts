import { describe, expect, it } from 'vitest'
import { drivers } from '../support/test-db'
import { appForSuite, browserTimeout, chromiumForFile, viewports } from './support/harness'
import { login, screenshot } from './support/pages'

const chromium = chromiumForFile()

describe.each(drivers)('browser: console sign-in on %s', (driver) => {
  const app = appForSuite(driver)

  describe.each(viewports)('at $name size', (viewport) => {
    it('signs in with a staff token and lands on the inbox', browserTimeout, async () => {
      const context = await chromium.context(viewport)
      try {
        const token = await app().tokenOf('李红')
        const page = await login(context, app().base, token)
        expect(new URL(page.url()).pathname).toBe('/console')
        await expect.poll(() => page.textContent('h1')).toContain('收件箱')
        expect(await page.textContent('header')).toContain('李红')
        await screenshot(page, viewport, 'inbox')
      } finally {
        await context.close()
      }
    })

    it('refuses a wrong token with the Chinese error and keeps the visitor out', browserTimeout, async () => {
      const context = await chromium.context(viewport)
      try {
        const page = await context.newPage()
        await page.goto(`${app().base}/console/login`)
        await screenshot(page, viewport, 'login')
        await page.fill('input[name="token"]', 'gz_not-a-real-token')
        await Promise.all([page.waitForLoadState('load'), page.click('form button')])
        await expect
          .poll(() => page.textContent('[role="alert"]'))
          .toBe('访问令牌无效或已停用，请核对后重试，或请管理员重新生成。')
        const response = await page.goto(`${app().base}/console`)
        expect(new URL(page.url()).pathname).toBe('/console/login')
        expect(response?.status()).toBe(200)
        await screenshot(page, viewport, 'login-error')
      } finally {
        await context.close()
      }
    })
  })
})
