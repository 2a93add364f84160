import { sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { deactivateStaff } from '../../core/staff/deactivate.usecases'
import { rotateToken } from '../../core/staff/staff.usecases'
import { type ConsoleApp, consoleSuite } from '../support/console'
import type { TestDeps } from '../support/deps'
import { adminActor, makeStaff, makeWorld } from '../support/factories'
import { apiCaller } from '../support/http'
import { drivers } from '../support/test-db'

/**
 * Who a token belongs to is remembered for a few seconds (core/staff/staff.cache.ts), and forgotten at
 * once when staff change: through Gaizao in this process, or anywhere through the staff table's trigger.
 */
describe.each(drivers)('remembered tokens on %s', (driver) => {
  let deps: TestDeps
  let app: ConsoleApp
  consoleSuite(driver, (made) => {
    deps = made.deps
    app = made.app
  })
  const call = apiCaller(() => app)

  const officer = async () => {
    const world = await makeWorld(deps)
    return makeStaff(deps, { name: '张干事', role: 'officer', xiaoquId: world.xiaoqu.id })
  }
  /** Calls until the answer is `status`; how long that took, or undefined past `withinMs`. */
  const untilStatus = async (token: string, status: number, withinMs: number) => {
    const started = Date.now()
    while (Date.now() - started < withinMs) {
      if ((await call(token, 'GET', '/requests')).status === status) return Date.now() - started
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    return undefined
  }

  it('a deactivation or a new token through Gaizao applies to the very next call', async () => {
    const admin = await adminActor(deps)
    const first = await officer()
    expect((await call(first.token, 'GET', '/requests')).status).toBe(200)
    await deactivateStaff(deps, admin, first.staff.id)
    expect((await call(first.token, 'GET', '/requests')).status).toBe(401)

    const second = await officer()
    expect((await call(second.token, 'GET', '/requests')).status).toBe(200)
    const renewed = await rotateToken(deps.db, admin, second.staff.id, deps.clock.now())
    expect((await call(second.token, 'GET', '/requests')).status).toBe(401)
    expect((await call(renewed, 'GET', '/requests')).status).toBe(200)
  })

  it('a hand edit of the staff table is heard through its trigger, well before an entry would expire', async () => {
    const { staff, token } = await officer()
    expect((await call(token, 'GET', '/requests')).status).toBe(200)
    // Without the trigger the edit goes unheard: the answer is remembered (up to 10 s).
    await deps.db.execute(sql`alter table staff disable trigger staff_changed`)
    try {
      await deps.db.execute(sql`update staff set active = false where id = ${staff.id}`)
      expect((await call(token, 'GET', '/requests')).status).toBe(200)
    } finally {
      await deps.db.execute(sql`alter table staff enable trigger staff_changed`)
    }
    // With it, any edit (as an operator's in psql would be) is heard within moments.
    await deps.db.execute(sql`update staff set name = name where id = ${staff.id}`)
    const took = await untilStatus(token, 401, 3_000)
    expect(took, 'the deactivated token was still let in after 3 s').toBeDefined()
  })
})
