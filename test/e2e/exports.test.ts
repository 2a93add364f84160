import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApi } from '../../api/app'
import { loadRequestContext } from '../../core/requests/requests.repository'
import { fileRequest, urgeRequest } from '../../core/requests/requests.usecases'
import { createTask } from '../../core/tasks/tasks.usecases'
import { createTestDeps, type TestDeps } from '../support/deps'
import { makeWorld } from '../support/factories'
import { drivers } from '../support/test-db'

describe.each(drivers)('CSV exports on %s', (driver) => {
  let deps: TestDeps
  let app: ReturnType<typeof createApi>
  beforeAll(async () => {
    deps = await createTestDeps(driver)
    app = createApi(deps)
  })
  afterAll(async () => {
    await deps.database.close()
  })

  const get = async (token: string, path: string) => {
    const res = await app.request(`/api/v1${path}`, { headers: { authorization: `Bearer ${token}` } })
    const bytes = Buffer.from(await res.arrayBuffer())
    return { status: res.status, type: res.headers.get('content-type'), bytes, text: bytes.toString('utf8') }
  }

  it('exports requests (phones masked, formulas defused) and tasks in the caller’s scope only', async () => {
    const world = await makeWorld(deps)
    const other = await makeWorld(deps)
    const { request } = await fileRequest(deps, {
      text: '=HYPERLINK("x") 楼道灯坏了',
      xiaoquId: world.xiaoqu.id,
      channel: 'wechat',
      resident: world.resident,
    })
    const elsewhere = await fileRequest(deps, {
      text: '门禁坏了',
      xiaoquId: other.xiaoqu.id,
      channel: 'wechat',
      resident: other.resident,
    })
    await createTask(deps, world.officer.actor, {
      xiaoquId: world.xiaoqu.id,
      title: '入户测量',
      ownerStaffId: world.officer.staff.id,
      dueAt: new Date(deps.clock.now().getTime() + 86_400_000),
    })
    await urgeRequest(deps, world.resident, request, await loadRequestContext(deps.db, request), '还没修')
    const requests = await get(world.officer.token, '/exports/requests.csv')
    expect(requests.status).toBe(200)
    expect(requests.type).toContain('text/csv')
    // A UTF-8 BOM first, so Excel reads the Chinese right.
    expect([...requests.bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf])
    expect(requests.text.startsWith('\uFEFF编号,小区,分类')).toBe(true)
    expect(requests.text).toContain(request.number)
    expect(requests.text).not.toContain(elsewhere.request.number)
    expect(requests.text).toContain(`"'=HYPERLINK(""x"") 楼道灯坏了"`)
    expect(requests.text).not.toContain('13501010001')
    expect(requests.text).toContain('135****0001')
    // How many share it (同求) and how often residents chased it (催办), beside its rating.
    const [header, row] = requests.text.replace('\uFEFF', '').split('\r\n')
    const columns = header!.split(',')
    const cells = row!.split(',')
    expect(cells[columns.indexOf('同求（人）')]).toBe('0')
    expect(cells[columns.indexOf('居民催办（次）')]).toBe('1')
    const tasks = await get(world.officer.token, '/exports/tasks.csv?status=open')
    expect(tasks.text.split('\r\n').filter(Boolean)).toHaveLength(2)
    expect(tasks.text).toContain('入户测量')
    const none = await get(other.officer.token, '/exports/tasks.csv')
    expect(none.text).not.toContain('入户测量')
    expect((await get(world.officer.token, '/exports/tasks.csv?status=late')).status).toBe(400)
  })
})
