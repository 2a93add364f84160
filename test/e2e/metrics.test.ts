import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApi } from '../../api/app'
import { fileRequest } from '../../core/requests/requests.usecases'
import { createTestDeps, type TestDeps } from '../support/deps'
import { makeWorld } from '../support/factories'
import { drivers } from '../support/test-db'

describe.each(drivers)('/metrics on %s', (driver) => {
  let deps: TestDeps
  beforeAll(async () => {
    deps = await createTestDeps(driver)
  })
  afterAll(async () => {
    await deps.database.close()
  })

  it('reports open and late work, the outbox, jobs and the process in the Prometheus format', async () => {
    const world = await makeWorld(deps)
    await fileRequest(deps, {
      text: '楼道灯坏了',
      xiaoquId: world.xiaoqu.id,
      channel: 'wechat',
      resident: world.resident,
    })
    const app = createApi(deps, {
      bot: {
        status: () => ({ account: 'default', puppet: 'sandbox', state: 'online', since: '', loggedIn: true }),
      },
    })
    const read = async () => {
      const res = await app.request('/metrics')
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toContain('text/plain')
      return res.text()
    }
    const before = await read()
    expect(before).toMatch(/^gaizao_open_items\{kind="request",state="on_time"\} 1$/m)
    expect(before).toMatch(/^gaizao_outbox_messages\{status="pending"\} [1-9]\d*$/m)
    expect(before).toMatch(/^gaizao_bot_logged_in 1$/m)
    expect(before).toMatch(/^gaizao_bot_state\{state="online"\} 1$/m)
    expect(before).toMatch(/^gaizao_groups\{state="active"\} [1-9]\d*$/m)
    expect(before).toMatch(/^gaizao_identity_issues_open 0$/m)
    expect(before).toMatch(/^gaizao_nodejs_heap_size_total_bytes \d+/m)
    // A week later the request is late, and its nudge is due.
    deps.clock.advance(14 * 86_400_000)
    const after = await read()
    expect(after).toMatch(/^gaizao_open_items\{kind="request",state="overdue"\} 1$/m)
    expect(after).toMatch(/^gaizao_nudges_due [1-9]/m)
    expect(after).not.toContain('13501010001') // no personal data
  })
})
