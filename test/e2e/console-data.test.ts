import { parse } from 'csv-parse/sync'
import { and, asc, eq, inArray } from 'drizzle-orm'
import ExcelJS from 'exceljs'
import { describe, expect, it } from 'vitest'
import { advanceCampaigns } from '../../core/consent/campaigns'
import { createPublicity } from '../../core/notices/publicity.usecases'
import { createTask } from '../../core/tasks/tasks.usecases'
import { auditLog, buildings, households, publicityFeedback, units, xiaoqu } from '../../db/schema'
import { twoBuildingsCsv } from '../support/consent'
import { type Browser, type ConsoleApp, consoleSuite, csrfOf } from '../support/console'
import type { TestDeps } from '../support/deps'
import { fileIn, makeStaff, makeWorld, uniqueId } from '../support/factories'
import { drivers } from '../support/test-db'

const xlsxType = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'

/** An .xlsx made the way a person's Excel would hold it: numbers as numbers, text as text. */
async function xlsxFile(rows: (string | number | Date)[][], name = '房屋.xlsx') {
  const workbook = new ExcelJS.Workbook()
  const sheet = workbook.addWorksheet('Sheet1')
  for (const row of rows) sheet.addRow(row)
  return new File([new Uint8Array(await workbook.xlsx.writeBuffer())], name, { type: xlsxType })
}

const csvFile = (text: string, name = '房屋.csv') => new File([text], name, { type: 'text/csv' })

/** The first sheet's rows, each as wide as the sheet (a blank cell reads as ''). */
async function readXlsx(bytes: Buffer) {
  const workbook = new ExcelJS.Workbook()
  await workbook.xlsx.load(bytes as unknown as ExcelJS.Buffer)
  const sheet = workbook.worksheets[0]!
  const rows: unknown[][] = []
  sheet.eachRow((row) => {
    const values = row.values as unknown[]
    rows.push(Array.from({ length: sheet.columnCount }, (_, i) => values[i + 1] ?? ''))
  })
  return rows
}

const header = ['楼栋', '单元', '房号', '面积', '业主', '电话']

describe.each(drivers)('console: 导入导出 on %s', (driver) => {
  let deps: TestDeps
  let app: ConsoleApp
  const { login, loginPropertyStaff } = consoleSuite(driver, (made) => {
    deps = made.deps
    app = made.app
  })

  /** A file download through the session: its bytes and headers. */
  async function download(browser: Browser, path: string) {
    const res = await app.request(`http://localhost${path}`, {
      headers: { cookie: [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
    })
    return {
      status: res.status,
      type: res.headers.get('content-type'),
      disposition: res.headers.get('content-disposition'),
      bytes: Buffer.from(await res.arrayBuffer()),
    }
  }

  const api = async (token: string, path: string, body?: unknown, type = 'application/json') => {
    const res = await app.request(`/api/v1${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': type },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    })
    return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()), headers: res.headers }
  }

  const storedRooms = (xiaoquId: number) =>
    deps.db
      .select({
        building: buildings.name,
        unit: units.name,
        room: households.room,
        area: households.exclusiveAreaCenti,
        owner: households.ownerName,
        phone: households.ownerPhone,
      })
      .from(households)
      .innerJoin(buildings, eq(buildings.id, households.buildingId))
      .innerJoin(units, eq(units.id, households.unitId))
      .where(eq(households.xiaoquId, xiaoquId))
      .orderBy(asc(households.id))

  const upload = (
    browser: Browser,
    page: Awaited<ReturnType<Browser['open']>>,
    fields: Record<string, string | File>,
  ) => browser.upload(page, '/console/data/households/upload', fields)

  it('previews an XLSX with a bad row, refuses to import any of it, then imports a good one exactly as previewed', async () => {
    const world = await makeWorld(deps)
    const browser = await login(world.officer.token)
    const page = await browser.open('/console/data')
    expect(page.status).toBe(200)
    expect(page.html).toContain('导入房屋')
    expect(page.html).toContain(world.xiaoqu.name)
    expect(page.html).toContain('enctype="multipart/form-data"')

    const bad = await xlsxFile([
      header,
      ['3', '1', '101', 85.5, '王大爷', 13800000001],
      ['3', '1', '102', '八十', '李阿姨', '13800000002'],
      ['5', '2', '201', 60, '', ''],
    ])
    const preview = await upload(browser, page, { xiaoquId: String(world.xiaoqu.id), file: bad })
    expect(preview.status).toBe(200)
    expect(preview.html).toContain('有 1 行不合格，整个文件不会导入')
    expect(preview.html).toContain('第 3 行')
    expect(preview.html).toContain('面积应为平方米数')
    // No way to confirm a file with a rejected row: no form, and a made-up token is refused.
    expect(preview.html).not.toContain('action="/console/data/households/confirm"')
    const noFile = await browser.post(page, '/console/data/households/upload', {})
    expect(noFile.status).toBe(400)
    expect(noFile.html).toContain('请选择要上传的')
    const refused = await browser.open('/console/data/households/confirm', {
      form: { _csrf: csrfOf(page.html), token: 'made-up' },
    })
    expect(refused.status).toBe(400)
    expect(refused.html).toContain('预览已过期或已经导入')
    expect(await storedRooms(world.xiaoqu.id)).toEqual([])

    const good = await xlsxFile([
      header,
      ['3', '1', '101', 85.5, '王大爷', 13800000001],
      [3, 1, '102室', '60.25', '李阿姨', '13800000002'],
      [],
      ['5', '2', '201', 60, '', ''],
    ])
    const shown = await upload(browser, page, { xiaoquId: String(world.xiaoqu.id), file: good })
    expect(shown.status).toBe(200)
    expect(shown.html).toContain('新增 3 户，更新 0 户')
    expect(shown.html).toContain('85.50㎡')
    expect(shown.html).toContain('3号楼')
    expect(shown.html).toContain('13800000001')
    // Previewing writes nothing.
    expect(await storedRooms(world.xiaoqu.id)).toEqual([])
    const done = await browser.post(shown, '/console/data/households/confirm', {
      token: /name="token" value="([^"]+)"/.exec(shown.html)![1]!,
    })
    expect(done.status).toBe(303)
    expect(done.location).toBe('/console/data?ok=households')
    expect((await browser.open(done.location!)).html).toContain('房屋已全部导入')
    expect(await storedRooms(world.xiaoqu.id)).toEqual([
      { building: '3号楼', unit: '1单元', room: '101', area: 8550, owner: '王大爷', phone: '13800000001' },
      { building: '3号楼', unit: '1单元', room: '102', area: 6025, owner: '李阿姨', phone: '13800000002' },
      { building: '5号楼', unit: '2单元', room: '201', area: 6000, owner: null, phone: null },
    ])
    const audits = await deps.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, 'households.import'), eq(auditLog.entityId, String(world.xiaoqu.id))))
    expect(audits).toHaveLength(1)
    expect(audits[0]!.via).toBe('console')
    // The same preview cannot be imported twice.
    const again = await browser.post(shown, '/console/data/households/confirm', {
      token: /name="token" value="([^"]+)"/.exec(shown.html)![1]!,
    })
    expect(again.status).toBe(400)
  })

  it('previews and imports a CSV the same way, counting the households it updates', async () => {
    const world = await makeWorld(deps)
    const browser = await login(world.officer.token)
    const page = await browser.open('/console/data')
    const bad = `${twoBuildingsCsv}\n3,1,101,55,重复,\n`
    const preview = await upload(browser, page, { xiaoquId: String(world.xiaoqu.id), file: csvFile(bad) })
    expect(preview.html).toContain('第 8 行')
    expect(preview.html).toContain('与第 2 行房号重复')
    expect(preview.html).not.toContain('name="token"')
    expect(await storedRooms(world.xiaoqu.id)).toEqual([])

    const first = await upload(browser, page, {
      xiaoquId: String(world.xiaoqu.id),
      file: csvFile(`\uFEFF${twoBuildingsCsv}`),
    })
    expect(first.html).toContain('新增 6 户，更新 0 户')
    const token = /name="token" value="([^"]+)"/.exec(first.html)![1]!
    // Another officer of the same scope cannot confirm someone else's upload.
    const colleague = await makeStaff(deps, {
      name: uniqueId('同事'),
      role: 'officer',
      areaId: world.community.id,
    })
    const other = await login(colleague.token)
    const otherPage = await other.open('/console/data')
    expect(
      (
        await other.open('/console/data/households/confirm', {
          form: { _csrf: csrfOf(otherPage.html), token },
        })
      ).status,
    ).toBe(400)
    expect((await browser.post(first, '/console/data/households/confirm', { token })).status).toBe(303)
    expect(await storedRooms(world.xiaoqu.id)).toHaveLength(6)

    const update = await upload(browser, page, {
      xiaoquId: String(world.xiaoqu.id),
      file: csvFile('楼栋,单元,房号,面积,业主,电话\n3,1,101,61.5,王大爷,13800000001\n7,1,101,70,,\n'),
    })
    expect(update.html).toContain('新增 1 户，更新 1 户')
    const confirmed = await browser.post(update, '/console/data/households/confirm', {
      token: /name="token" value="([^"]+)"/.exec(update.html)![1]!,
    })
    expect(confirmed.status).toBe(303)
    const rooms = await storedRooms(world.xiaoqu.id)
    expect(rooms).toHaveLength(7)
    expect(rooms.find((r) => r.building === '3号楼' && r.room === '101')!.area).toBe(6150)
  })

  it('refuses an upload to a xiaoqu out of scope, an unreadable Excel file, and property staff', async () => {
    const world = await makeWorld(deps)
    const other = await makeWorld(deps)
    const browser = await login(world.officer.token)
    const page = await browser.open('/console/data')
    const elsewhere = await upload(browser, page, {
      xiaoquId: String(other.xiaoqu.id),
      file: csvFile(twoBuildingsCsv),
    })
    expect(elsewhere.status).toBe(403)
    expect(elsewhere.html).toContain('不在您的管辖范围内')
    expect(await storedRooms(other.xiaoqu.id)).toEqual([])

    const broken = new File([new Uint8Array([0x50, 0x4b, 3, 4, 1, 2, 3, 4, 5, 6])], '房屋.xlsx')
    const unreadable = await upload(browser, page, { xiaoquId: String(world.xiaoqu.id), file: broken })
    expect(unreadable.status).toBe(400)
    expect(unreadable.html).toContain('另存为 .xlsx')
    const gbk = new File([new Uint8Array([0xc2, 0xa5, 0xb6, 0xb0, 0x0a])], '房屋.csv')
    expect((await upload(browser, page, { xiaoquId: String(world.xiaoqu.id), file: gbk })).html).toContain(
      '不是 UTF-8 编码',
    )
    const oldXls = new File([new Uint8Array([0xd0, 0xcf, 0x11, 0xe0])], '房屋.xls')
    expect((await upload(browser, page, { xiaoquId: String(world.xiaoqu.id), file: oldXls })).html).toContain(
      '不支持旧版 .xls',
    )

    const property = await loginPropertyStaff(world.xiaoqu.id)
    expect((await property.open('/console/data')).status).toBe(403)
    expect((await download(property, '/console/data/exports/requests?format=csv')).status).toBe(403)
  })

  it('imports xiaoqu by community name within scope, all or nothing, audited; only officers may', async () => {
    const world = await makeWorld(deps)
    const other = await makeWorld(deps)
    const browser = await login(world.officer.token)
    const page = await browser.open('/console/data')
    expect(page.html).toContain('导入小区')
    const name = uniqueId('新小区')
    const bad = await xlsxFile(
      [
        ['社区', '小区名称', '地址', '建成年份'],
        [world.community.name, name, '幸福路 1 号', 1985],
        [other.community.name, uniqueId('别处'), '', ''],
        [world.community.name, world.xiaoqu.name, '', '1990年'],
        [world.community.name, uniqueId('未来'), '', 2099],
      ],
      '小区.xlsx',
    )
    const preview = await browser.upload(page, '/console/data/xiaoqu/upload', { file: bad })
    expect(preview.status).toBe(200)
    expect(preview.html).toContain('不合格 3 行')
    expect(preview.html).toContain(`您的管辖范围内没有名为“${other.community.name}”的社区`)
    expect(preview.html).toContain(`已有小区“${world.xiaoqu.name}”`)
    expect(preview.html).toContain('建成年份应为 1900 到 2026')
    expect(preview.html).not.toContain('name="token"')
    expect(await deps.db.select().from(xiaoqu).where(eq(xiaoqu.name, name))).toEqual([])

    const csv = `社区,小区名称,地址,建成年份\n${world.community.name},${name},幸福路 1 号,1985\n${world.community.name},${name}二期,,1998-06-01\n`
    const good = await browser.upload(page, '/console/data/xiaoqu/upload', { file: csvFile(csv, '小区.csv') })
    expect(good.html).toContain('将新建 2 个小区')
    const done = await browser.post(good, '/console/data/xiaoqu/confirm', {
      token: /name="token" value="([^"]+)"/.exec(good.html)![1]!,
    })
    expect(done.status).toBe(303)
    const created = await deps.db
      .select()
      .from(xiaoqu)
      .where(inArray(xiaoqu.name, [name, `${name}二期`]))
      .orderBy(asc(xiaoqu.id))
    expect(created.map((x) => [x.name, x.address, x.buildYear, x.communityId])).toEqual([
      [name, '幸福路 1 号', 1985, world.community.id],
      [`${name}二期`, null, 1998, world.community.id],
    ])
    expect(created[0]!.path).toBe(`${world.community.path}x${created[0]!.id}/`)
    const audits = await deps.db
      .select({ action: auditLog.action })
      .from(auditLog)
      .where(
        and(
          eq(auditLog.actorStaffId, world.officer.staff.id),
          inArray(auditLog.action, ['xiaoqu.create', 'xiaoqu.import']),
        ),
      )
    expect(audits.map((a) => a.action).sort()).toEqual(['xiaoqu.create', 'xiaoqu.create', 'xiaoqu.import'])

    const worker = await makeStaff(deps, {
      name: uniqueId('社工'),
      role: 'community_worker',
      areaId: world.community.id,
    })
    const workerBrowser = await login(worker.token)
    const workerPage = await workerBrowser.open('/console/data')
    expect(workerPage.status).toBe(200)
    expect(workerPage.html).not.toContain('导入小区')
    const households = await workerBrowser.upload(workerPage, '/console/data/households/upload', {
      xiaoquId: String(world.xiaoqu.id),
      file: csvFile(twoBuildingsCsv),
    })
    expect(households.html).toContain('新增 6 户')
    const noXiaoqu = await workerBrowser.open('/console/data/xiaoqu/upload', {
      multipart: { _csrf: csrfOf(workerPage.html), file: csvFile(csv) },
    })
    expect(noXiaoqu.status).toBe(403)
  })

  it('offers both templates in CSV and XLSX, which import as they are', async () => {
    const world = await makeWorld(deps)
    const browser = await login(world.officer.token)
    const csv = await download(browser, '/console/data/templates/households.csv')
    expect(csv.status).toBe(200)
    expect([...csv.bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf])
    expect(csv.disposition).toContain(`filename*=UTF-8''${encodeURIComponent('房屋导入模板.csv')}`)
    const xlsx = await download(browser, '/console/data/templates/households.xlsx')
    expect(xlsx.type).toBe(xlsxType)
    expect(await readXlsx(xlsx.bytes)).toEqual([
      header,
      ['3号楼', '1单元', '101', '85.50', '王大爷', '13800000001'],
    ])
    const page = await browser.open('/console/data')
    const preview = await upload(browser, page, {
      xiaoquId: String(world.xiaoqu.id),
      file: new File([new Uint8Array(xlsx.bytes)], '模板.xlsx'),
    })
    expect(preview.html).toContain('新增 1 户')
    const xiaoquTemplate = await download(browser, '/console/data/templates/xiaoqu.xlsx')
    expect((await readXlsx(xiaoquTemplate.bytes))[0]).toEqual(['社区', '小区名称', '地址', '建成年份'])
    expect((await download(browser, '/console/data/templates/passwords.csv')).status).toBe(404)
  })

  it('exports requests, tasks, feedback and ballots as CSV and XLSX: same rows, phones masked, formulas defused', async () => {
    const world = await makeWorld(deps)
    const other = await makeWorld(deps)
    const request = await fileIn(deps, world, '=HYPERLINK("http://x") 楼道灯坏了')
    const elsewhere = await fileIn(deps, other, '门禁坏了')
    const browser = await login(world.officer.token)

    const csv = await download(browser, '/console/data/exports/requests?format=csv&status=submitted')
    expect(csv.status).toBe(200)
    expect(csv.type).toContain('text/csv')
    expect([...csv.bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf])
    expect(csv.disposition).toMatch(/^attachment; filename="requests-2026-03-02\.csv"; filename\*=UTF-8''/)
    expect(decodeURIComponent(csv.disposition!.split("UTF-8''")[1]!)).toBe('诉求-2026-03-02.csv')
    const csvRows = parse(csv.bytes.toString('utf8').replace(/^\uFEFF/, '')) as string[][]
    expect(csvRows[0]!.slice(0, 3)).toEqual(['编号', '小区', '分类'])
    expect(csvRows.map((r) => r[0])).toContain(request.number)
    expect(csvRows.map((r) => r[0])).not.toContain(elsewhere.number)
    const mine = csvRows.find((r) => r[0] === request.number)!
    expect(mine[6]).toBe(`'=HYPERLINK("http://x") 楼道灯坏了`)
    expect(mine[8]).toBe('135****0001')

    const xlsx = await download(browser, '/console/data/exports/requests?format=xlsx')
    expect(xlsx.type).toBe(xlsxType)
    const sheet = await readXlsx(xlsx.bytes)
    expect(sheet[0]).toEqual(csvRows[0])
    const row = sheet.find((r) => r[0] === request.number)!
    // Text, never a formula: exceljs would read a formula cell as an object.
    expect(row[6]).toBe(`'=HYPERLINK("http://x") 楼道灯坏了`)
    expect(row[8]).toBe('135****0001')
    expect(sheet.map((r) => r[0])).not.toContain(elsewhere.number)
    // The date range: nothing filed tomorrow; a reversed range is explained.
    const none = await download(browser, '/console/data/exports/requests?format=csv&from=2026-03-03')
    expect(parse(none.bytes.toString('utf8').replace(/^\uFEFF/, ''))).toHaveLength(1)
    const reversed = await browser.open(
      '/console/data/exports/requests?format=csv&from=2026-03-03&to=2026-03-01',
    )
    expect(reversed.status).toBe(400)
    expect(reversed.html).toContain('开始日期不能晚于结束日期')
    // The same rows from the API.
    const officerApi = await api(world.officer.token, `/exports/requests.xlsx?xiaoquId=${world.xiaoqu.id}`)
    expect(officerApi.status).toBe(200)
    expect((await readXlsx(officerApi.bytes)).slice(1).map((r) => r[8])).toEqual(['135****0001'])

    await createTask(deps, world.officer.actor, {
      xiaoquId: world.xiaoqu.id,
      title: '@SUM(1) 入户测量',
      ownerStaffId: world.officer.staff.id,
      dueAt: new Date(deps.clock.now().getTime() + 86_400_000),
    })
    const tasksCsv = await download(browser, '/console/data/exports/tasks?format=csv')
    expect(tasksCsv.status).toBe(200)
    const taskRows = parse(tasksCsv.bytes.toString('utf8').replace(/^\uFEFF/, '')) as string[][]
    expect(taskRows.map((r) => r[2])).toEqual(['任务', "'@SUM(1) 入户测量"])
    const tasksXlsx = await download(browser, '/console/data/exports/tasks?format=xlsx&status=open')
    expect(await readXlsx(tasksXlsx.bytes)).toEqual(taskRows)
    const outsiderTasks = await download(
      await login(other.officer.token),
      '/console/data/exports/tasks?format=csv',
    )
    expect(outsiderTasks.bytes.toString('utf8')).not.toContain('入户测量')

    const publicity = await createPublicity(deps, world.officer.actor, {
      xiaoquId: world.xiaoqu.id,
      title: '设计方案',
      body: '外墙保温',
      opensAt: deps.clock.now(),
      closesAt: new Date(deps.clock.now().getTime() + 10 * 86_400_000),
    })
    await deps.db.insert(publicityFeedback).values({
      publicityId: publicity.id,
      residentId: world.resident.id,
      text: '+1 电梯装北侧',
      category: '电梯',
      at: deps.clock.now(),
    })
    const feedback = await readXlsx(
      (await download(browser, `/console/data/exports/feedback?format=xlsx&publicity=${publicity.number}`))
        .bytes,
    )
    expect(feedback).toEqual([
      ['序号', '居民', '类别', '意见', '时间'],
      [1, '张桂兰', '电梯', "'+1 电梯装北侧", '2026-03-02 10:00'],
    ])
    // Property staff read what was said, not who said it (the API's export).
    const property = await makeStaff(deps, {
      name: uniqueId('物业'),
      role: 'property_staff',
      xiaoquId: world.xiaoqu.id,
    })
    const hidden = await api(property.token, `/exports/feedback.csv?publicity=${publicity.number}`)
    expect(hidden.status).toBe(200)
    expect(hidden.bytes.toString('utf8')).not.toContain('张桂兰')
    expect(hidden.bytes.toString('utf8')).toContain("'+1 电梯装北侧")
    expect(
      (await download(browser, `/console/data/exports/feedback?publicity=${publicity.number}&format=pdf`))
        .status,
    ).toBe(400)
    const outsider = await login(other.officer.token)
    expect(
      (await download(outsider, `/console/data/exports/feedback?publicity=${publicity.number}`)).status,
    ).toBe(403)

    expect(
      (
        await api(
          world.officer.token,
          `/xiaoqu/${world.xiaoqu.id}/households.csv`,
          twoBuildingsCsv,
          'text/csv',
        )
      ).status,
    ).toBe(200)
    const campaign = await api(world.officer.token, '/campaigns', {
      xiaoquId: world.xiaoqu.id,
      building: '3',
      matter: 'rebuild',
      question: '是否同意3号楼加装电梯',
      opensAt: '2026-03-02T10:00:00+08:00',
      closesAt: '2026-03-05T18:00:00+08:00',
    })
    const number = JSON.parse(campaign.bytes.toString('utf8')).number as string
    await deps.db.transaction((tx) => advanceCampaigns({ ...deps, db: tx }))
    expect(
      (
        await api(world.officer.token, `/campaigns/${number}/ballots`, {
          building: '3',
          unit: '1',
          room: '104',
          choice: '同意',
          channel: 'paper',
        })
      ).status,
    ).toBe(201)
    const ballotsCsv = await download(browser, `/console/data/exports/ballots?format=csv&campaign=${number}`)
    const published = await api(world.officer.token, `/campaigns/${number}/ballots.csv`)
    // Byte for byte the digest-bearing export.
    expect(ballotsCsv.bytes.equals(published.bytes)).toBe(true)
    const ballotRows = parse(ballotsCsv.bytes.toString('utf8')) as string[][]
    const ballotSheet = await readXlsx(
      (await download(browser, `/console/data/exports/ballots?format=xlsx&campaign=${number}`)).bytes,
    )
    expect(ballotSheet[0]).toEqual(['票号', '房屋', '选择', '方式', '时间（UTC）'])
    expect(ballotSheet.slice(1)).toEqual(ballotRows.slice(1))
    expect(ballotSheet[1]![2]).toBe('同意')
    const apiBallots = await api(world.officer.token, `/exports/ballots.xlsx?campaign=${number}`)
    expect(await readXlsx(apiBallots.bytes)).toEqual(ballotSheet)
  })
})
