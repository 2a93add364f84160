import { eq } from 'drizzle-orm'
import ExcelJS from 'exceljs'
import { describe, expect, it } from 'vitest'
import { demoXiaoqu } from '../../core/demo/demo.data'
import { advanceNotices } from '../../core/notices/lifecycle'
import { households, projects, xiaoqu } from '../../db/schema'
import { makeWorld } from '../support/factories'
import { drivers } from '../support/test-db'
import { appForSuite, browserTimeout, chromiumForFile, viewports } from './support/harness'
import { expectNoHorizontalOverflow, login, open, screenshot } from './support/pages'

const chromium = chromiumForFile()

/** An XLSX workbook of households: the template's header, then `rows`. */
async function householdsXlsx(rows: (string | number)[][]) {
  const book = new ExcelJS.Workbook()
  const sheet = book.addWorksheet('房屋')
  sheet.addRow(['楼栋', '单元', '房号', '面积', '业主', '电话'])
  for (const row of rows) sheet.addRow(row)
  return Buffer.from(await book.xlsx.writeBuffer())
}

/** A datetime-local value (Shanghai) `ms` after `at`. */
const shanghaiLocal = (at: Date, ms: number) =>
  new Date(at.getTime() + ms + 8 * 3_600_000).toISOString().slice(0, 16)

const xlsxType = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'

/** Office work end to end in Chromium: the pages other areas added, used as an officer would. */
describe.each(drivers)('browser: office scenarios on %s', (driver) => {
  const app = appForSuite(driver)

  describe.each(viewports)('at $name size', (viewport) => {
    it('draws the dashboard as SVG charts with their numbers', browserTimeout, async () => {
      const context = await chromium.context(viewport)
      try {
        const page = await login(context, app().base, app().deps.adminToken)
        expect(await open(page, app().base, '/console/dashboard')).toBe(200)
        const charts = await page.$$eval('main svg', (svgs) =>
          svgs.map((svg) => {
            const box = svg.getBoundingClientRect()
            return {
              width: box.width,
              height: box.height,
              shapes: svg.querySelectorAll('rect, path, line, circle, polyline, polygon').length,
            }
          }),
        )
        expect(charts.length).toBeGreaterThanOrEqual(3)
        for (const chart of charts) {
          expect(chart.width).toBeGreaterThan(0)
          expect(chart.height).toBeGreaterThan(0)
          expect(chart.shapes).toBeGreaterThan(0)
          expect(chart.width).toBeLessThanOrEqual(viewport.width)
        }
        // The targets are there as numbers too, not only as drawings.
        expect(await page.textContent('main')).toMatch(/\d/)
        await expectNoHorizontalOverflow(page, 'the dashboard')
        await screenshot(page, viewport, 'dashboard-charts')
      } finally {
        await context.close()
      }
    })

    it(
      'composes a design publicity with a PDF, records the review, publishes it and shows each group’s progress',
      browserTimeout,
      async () => {
        const { deps, base } = app()
        const place = demoXiaoqu[0]!
        const [row] = await deps.db.select().from(xiaoqu).where(eq(xiaoqu.name, place.name))
        const title = `${viewport.name === 'phone' ? '3号楼' : '2号楼'}加装电梯设计方案`
        const context = await chromium.context(viewport)
        try {
          const page = await login(context, base, await app().tokenOf('陈静'))
          expect(await open(page, base, '/console/notices/publicity/new')).toBe(200)
          const form = 'form[action$="/notices/publicity/upload"]'
          await page.selectOption(`${form} select[name="xiaoquId"]`, String(row!.id))
          await page.fill(`${form} input[name="title"]`, title)
          await page.fill(`${form} textarea[name="body"]`, '在单元北侧加装电梯一部，占用部分绿地，另行补种。')
          await page.fill(`${form} input[name="opensAt"]`, shanghaiLocal(deps.clock.now(), 5 * 60_000))
          await page.fill(`${form} input[name="closesAt"]`, shanghaiLocal(deps.clock.now(), 8 * 86_400_000))
          await page.setInputFiles(`${form} input[name="files"]`, {
            name: 'design.pdf',
            mimeType: 'application/pdf',
            buffer: Buffer.from('%PDF-1.4\n% 设计图\n%%EOF\n'),
          })
          // The preview: the WeChat text and the groups it reaches, the file kept for the next step.
          await Promise.all([page.waitForLoadState('load'), page.click(`${form} button[value="preview"]`)])
          await expect.poll(() => page.textContent('main')).toContain(title)
          expect(await page.isChecked(`${form} input[name="attachmentIds"]`)).toBe(true)
          await screenshot(page, viewport, 'notices-publicity-preview')
          await Promise.all([page.waitForLoadState('load'), page.click(`${form} button[value="send"]`)])
          if (new URL(page.url()).searchParams.get('ok') !== 'created') {
            throw new Error(`the publicity was not saved: ${await page.textContent('main')}`)
          }
          const number = /\/console\/notices\/([^/?]+)/.exec(page.url())![1]!

          // Publishing waits for the planner's review.
          await page.fill('form[action$="/review"] input[name="reviewedBy"]', '李规划师')
          await Promise.all([
            page.waitForURL((url) => url.searchParams.get('ok') === 'reviewed'),
            page.click('form[action$="/review"] button[type="submit"]'),
          ])
          await Promise.all([
            page.waitForURL((url) => url.searchParams.get('ok') === 'published'),
            page.click('form[action$="/publish"] button[type="submit"]'),
          ])

          // At its opening time it goes to the group with its file; the page counts what each group got.
          deps.clock.advance(6 * 60_000)
          await advanceNotices(deps)
          deps.outboxSignal.notify()
          const said = async () => {
            const res = await fetch(`${base}/sandbox/api/transcript?room=${encodeURIComponent(place.topic)}`)
            return ((await res.json()) as { messages: { text: string }[] }).messages.map((m) => m.text)
          }
          await expect
            .poll(async () => (await said()).some((t) => t.startsWith(`【设计方案公示 ${number}】`)))
            .toBe(true)
          await expect.poll(async () => (await said()).includes('[文件] design.pdf')).toBe(true)
          await expect
            .poll(async () => {
              await page.goto(`${base}/console/notices/${number}`)
              return page.textContent('main')
            })
            .toMatch(/已发 2 \/ 共 2/)
          expect(await page.textContent('main')).toContain('李规划师')
          await expectNoHorizontalOverflow(page, 'the publicity')
          await screenshot(page, viewport, 'notices-publicity-progress')
        } finally {
          await context.close()
        }
      },
    )

    it(
      'creates a project and takes it to 物业签约: a gate refuses, an admin overrides with a reason',
      browserTimeout,
      async () => {
        const { deps, base } = app()
        const place = demoXiaoqu[1]!
        const [row] = await deps.db.select().from(xiaoqu).where(eq(xiaoqu.name, place.name))
        const context = await chromium.context(viewport)
        try {
          const page = await login(context, base, deps.adminToken)
          expect(await open(page, base, '/console/projects/new')).toBe(200)
          const form = 'form[action$="/projects/new"]'
          await page.selectOption(`${form} select[name="xiaoquId"]`, String(row!.id))
          await page.fill(`${form} input[name="title"]`, `${place.name}综合整治（${viewport.name}）`)
          await page.fill(`${form} textarea[name="basicItems"]`, '楼本体节能改造\n雨污分流')
          await page.fill(`${form} input[name="plannedInvestment"]`, '3200000')
          // The street's officer leads it (other tests' worlds add staff from elsewhere to the list).
          const responsible = await page.$$eval(
            `${form} select[name="responsibleStaffId"] option`,
            (options) =>
              options
                .filter((o) => o.textContent?.startsWith('王建国'))
                .map((o) => (o as HTMLOptionElement).value),
          )
          await page.selectOption(`${form} select[name="responsibleStaffId"]`, responsible[0]!)
          await screenshot(page, viewport, 'projects-new')
          await Promise.all([page.waitForLoadState('load'), page.click(`${form} button[type="submit"]`)])
          if (new URL(page.url()).searchParams.get('ok') !== 'created') {
            throw new Error(`the project was not created: ${await page.textContent('[role="alert"]')}`)
          }
          const href = new URL(page.url()).pathname

          // Forward a stage at a time until a gate holds it back (at the latest, 设计 without an implementing entity).
          const next = 'form[action$="/stage"]:not(:has(input[name="override"])) button[type="submit"]'
          let refused = false
          for (let step = 0; step < 3 && !refused; step++) {
            await Promise.all([page.waitForLoadState('load'), page.click(next)])
            refused = new URL(page.url()).searchParams.get('ok') !== 'stage'
          }
          expect(refused).toBe(true)
          expect(await page.textContent('main')).toContain('未能进入')
          await screenshot(page, viewport, 'projects-gate-refused')

          // The admin moves it anyway, with the reason on record.
          const override = 'form[action$="/stage"]:has(input[name="override"])'
          if (!(await page.isVisible(`${override} textarea[name="reason"]`)))
            await page.click('details:has(input[name="override"]) summary')
          await page.selectOption(`${override} select[name="to"]`, '物业签约')
          await page.fill(`${override} textarea[name="reason"]`, '区里统一部署，先行签约物业服务协议')
          await Promise.all([
            page.waitForURL((url) => url.searchParams.get('ok') === 'override'),
            page.click(`${override} button[type="submit"]`),
          ])
          expect(new URL(page.url()).pathname).toBe(href)
          const main = await page.textContent('main')
          expect(main).toContain('物业签约')
          expect(main).toContain('区里统一部署，先行签约物业服务协议')
          const number = decodeURIComponent(href.split('/').at(-1)!)
          const [stored] = await deps.db.select().from(projects).where(eq(projects.number, number))
          expect(stored?.stage).toBe('物业签约')
          await expectNoHorizontalOverflow(page, 'the project')
          await screenshot(page, viewport, 'projects-override')
        } finally {
          await context.close()
        }
      },
    )

    it(
      'imports households from XLSX: a file with a bad row writes nothing, a good one everything',
      browserTimeout,
      async () => {
        const { deps, base } = app()
        const world = await makeWorld(deps)
        const count = async () =>
          (await deps.db.select().from(households).where(eq(households.xiaoquId, world.xiaoqu.id))).length
        const context = await chromium.context(viewport)
        try {
          const page = await login(context, base, deps.adminToken)
          const upload = async (name: string, bytes: Buffer) => {
            expect(await open(page, base, '/console/data')).toBe(200)
            const form = 'form[action$="/data/households/upload"]'
            await page.selectOption(`${form} select[name="xiaoquId"]`, String(world.xiaoqu.id))
            await page.setInputFiles(`${form} input[name="file"]`, {
              name,
              mimeType: xlsxType,
              buffer: bytes,
            })
            await Promise.all([
              page.waitForLoadState('load'),
              page.waitForURL(/households\/upload$/),
              page.click(`${form} button[type="submit"]`),
            ])
          }
          const confirm = 'form[action$="/data/households/confirm"] button[type="submit"]'

          await upload(
            '房屋-有错.xlsx',
            await householdsXlsx([
              ['1号楼', '1单元', '101', 62.5, '王大爷', '13800000001'],
              ['1号楼', '1单元', '102', '六十', '李阿姨', '13800000002'],
            ]),
          )
          expect(await page.textContent('[role="alert"]')).toContain('整个文件不会导入')
          expect(await page.textContent('main')).toContain('第 3 行')
          expect(await page.$(confirm)).toBeNull()
          await expectNoHorizontalOverflow(page, 'the rejected import')
          await screenshot(page, viewport, 'data-households-rejected')
          expect(await count()).toBe(0)

          await upload(
            '房屋.xlsx',
            await householdsXlsx([
              ['1号楼', '1单元', '101', 62.5, '王大爷', '13800000001'],
              ['1号楼', '1单元', '102', 58, '李阿姨', '13800000002'],
            ]),
          )
          await screenshot(page, viewport, 'data-households-preview')
          expect(await count()).toBe(0)
          await Promise.all([
            page.waitForURL((url) => url.searchParams.get('ok') === 'households'),
            page.click(confirm),
          ])
          expect(await page.textContent('[role="status"]')).toContain('房屋已全部导入')
          expect(await count()).toBe(2)
        } finally {
          await context.close()
        }
      },
    )
  })
})
