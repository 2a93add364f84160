import { and, eq, inArray } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { insertAttachment } from '../../core/notices/attachments'
import { createBroadcast } from '../../core/notices/broadcast.usecases'
import { createPublicity } from '../../core/notices/publicity.usecases'
import { createOrganisation } from '../../core/organisations/organisations.usecases'
import { assignRequest, fileRequest } from '../../core/requests/requests.usecases'
import { outbox, publicityFeedback, requestPhotos, requests, residents, staff } from '../../db/schema'
import { say } from '../support/chat'
import { type ConsoleApp, consoleSuite } from '../support/console'
import type { TestDeps } from '../support/deps'
import { adminActor, fileIn as fileInWorld, makeStaff, makeWorld, uniqueId } from '../support/factories'
import { apiCaller } from '../support/http'
import { drivers } from '../support/test-db'

type World = Awaited<ReturnType<typeof makeWorld>>

const pdf = Buffer.from('%PDF-1.4\n% 业主名册\n')
const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  Buffer.alloc(32, 7),
])
const day = 86_400_000

/** Issue 12 ("nobody let in"): files, 同求, phones and names, organisations and 转派 stay within scope. */
describe.each(drivers)('access within scope on %s', (driver) => {
  let deps: TestDeps
  let app: ConsoleApp
  const { login } = consoleSuite(driver, (made) => {
    deps = made.deps
    app = made.app
  })
  const call = apiCaller(() => app)

  const upload = async (token: string, name: string, data: Buffer) => {
    const res = await app.request(`/api/v1/attachments?name=${encodeURIComponent(name)}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
      body: new Uint8Array(data),
    })
    expect(res.status).toBe(201)
    return ((await res.json()) as { id: number }).id
  }
  const download = (token: string, id: number) =>
    app.request(`/api/v1/attachments/${id}`, { headers: { authorization: `Bearer ${token}` } })

  const fileIn = (world: World, text?: string) => fileInWorld(deps, world, text)

  const publicityInput = (world: World, attachmentIds: number[]) => {
    const opensAt = new Date(deps.clock.now().getTime() + day)
    return {
      xiaoquId: world.xiaoqu.id,
      title: '设计方案',
      body: '见附件',
      opensAt: opensAt.toISOString(),
      closesAt: new Date(opensAt.getTime() + 8 * day).toISOString(),
      attachmentIds,
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // 4. Files belong to the scope of who uploaded them

  it("refuses another street's officer attaching or downloading a xiaoqu's file (403), and never sends it", async () => {
    const home = await makeWorld(deps)
    const away = await makeWorld(deps)
    const roster = await upload(home.officer.token, '业主名册.pdf', pdf)

    // The uploader and the officers above them may use it.
    const own = await download(home.officer.token, roster)
    expect(own.status).toBe(200)
    expect(own.headers.get('content-type')).toBe('application/pdf')
    expect(Buffer.from(await own.arrayBuffer())).toEqual(pdf)
    expect((await download(deps.adminToken, roster)).status).toBe(200)
    const streetOfficer = await makeStaff(deps, {
      name: uniqueId('街道'),
      role: 'officer',
      areaId: home.street.id,
    })
    expect((await download(streetOfficer.token, roster)).status).toBe(200)

    // Another street's officer may neither download it nor attach it.
    const leaked = await download(away.officer.token, roster)
    expect(leaked.status).toBe(403)
    expect(await leaked.text()).not.toContain('PDF')
    expect((await download(away.officer.token, 2_000_000_000)).status).toBe(404)
    const publicity = await call(away.officer.token, 'POST', '/publicities', publicityInput(away, [roster]))
    expect(publicity.status, publicity.text).toBe(403)
    expect(publicity.body.error.code).toBe('attachments.out_of_scope')
    // His own file is fine.
    const mine = await upload(away.officer.token, '效果图.pdf', pdf)
    expect(
      (await call(away.officer.token, 'POST', '/publicities', publicityInput(away, [mine]))).status,
    ).toBe(201)

    // A broadcast carrying it never delivers the file to his groups.
    await createBroadcast(deps, away.officer.actor, {
      text: '名册见附件',
      xiaoquId: away.xiaoqu.id,
      attachmentIds: [roster],
    }).catch((error: { status?: number }) => expect(error.status).toBe(403))
    const sent = await deps.db
      .select()
      .from(outbox)
      .where(and(eq(outbox.conversationId, away.roomId), eq(outbox.attachmentId, roster)))
    expect(sent).toEqual([])
  })

  it("keeps a resident's photo to whoever may see its request", async () => {
    const world = await makeWorld(deps)
    const away = await makeWorld(deps)
    const request = await fileIn(world)
    const photo = await insertAttachment(
      deps.db,
      { fileName: 'photo.png', mediaType: 'image/png', data: png },
      deps.clock.now(),
    )
    await deps.db
      .insert(requestPhotos)
      .values({ requestId: request.id, attachmentId: photo.id, createdAt: deps.clock.now() })
    const property = await makeStaff(deps, {
      name: uniqueId('物业'),
      role: 'property_staff',
      xiaoquId: world.xiaoqu.id,
    })

    expect((await download(world.officer.token, photo.id)).status).toBe(200)
    expect((await download(away.officer.token, photo.id)).status).toBe(403)
    // Property staff see only the requests they hold.
    expect((await download(property.token, photo.id)).status).toBe(403)
    await deps.db
      .update(requests)
      .set({ assigneeStaffId: property.staff.id })
      .where(eq(requests.id, request.id))
    expect((await download(property.token, photo.id)).status).toBe(200)
    // Another xiaoqu's notice cannot carry it.
    const attached = await call(away.officer.token, 'POST', '/publicities', publicityInput(away, [photo.id]))
    expect(attached.status).toBe(403)
  })

  // ---------------------------------------------------------------------------------------------------------
  // 5. 同求 only within the request's xiaoqu; supporters see the status, not the text

  it("refuses 同求 from another xiaoqu's group exactly as for a number that does not exist", async () => {
    const home = await makeWorld(deps)
    const away = await makeWorld(deps)
    const request = await fileIn(home, '3号楼地下室被人占用堆放杂物')
    const stranger = {
      senderId: uniqueId('wxid_away'),
      senderName: '外小区居民',
      roomId: away.roomId,
      roomTopic: '居民群',
    }

    const refused = await say(deps, { ...stranger, text: `同求 ${request.number}` })
    expect(refused.result).toMatchObject({ duplicate: false, outcome: expect.stringMatching(/^refused:/) })
    expect(refused.reply).toContain('本小区')
    const missing = await say(deps, { ...stranger, text: '同求 Q99999999' })
    expect(missing.reply.replaceAll('Q99999999', request.number)).toBe(refused.reply)
    const [row] = await deps.db.select().from(requests).where(eq(requests.id, request.id))
    expect(row!.supportCount).toBe(0)

    // Still no way in: progress is refused, with the words a missing number gets.
    const progress = await say(deps, { ...stranger, text: `进度 ${request.number}` })
    expect(progress.reply).not.toContain('地下室')
    const progressMissing = await say(deps, { ...stranger, text: '进度 Q99999999' })
    expect(progressMissing.reply.replaceAll('Q99999999', request.number)).toBe(progress.reply)

    // Privately, a resident known elsewhere is refused too.
    const privately = await say(deps, {
      senderId: away.resident.wechatId!,
      senderName: away.resident.name,
      text: `同求 ${request.number}`,
    })
    expect(privately.reply).toBe(refused.reply)
  })

  it('lets a neighbour 同求 and then follow the status, but not read the text or the filer', async () => {
    const world = await makeWorld(deps)
    const request = await fileIn(world, '5号楼楼顶漏雨，我家在顶层')
    const neighbour = { senderId: uniqueId('wxid_neighbour'), senderName: '李大爷' }

    const supported = await say(deps, { ...neighbour, roomId: world.roomId, text: `同求 ${request.number}` })
    expect(supported.result).toMatchObject({ outcome: `support:${request.number}` })
    const progress = await say(deps, { ...neighbour, text: `进度 ${request.number}` })
    expect(progress.result).toMatchObject({ outcome: `progress:${request.number}` })
    expect(progress.reply).toContain(request.number)
    expect(progress.reply).toContain(request.category)
    expect(progress.reply).toContain('待受理')
    expect(progress.reply).toContain('办结时限')
    expect(progress.reply).not.toContain('漏雨')
    expect(progress.reply).not.toContain(world.resident.name)
    // The filer still reads all of it.
    const own = await say(deps, {
      senderId: world.resident.wechatId!,
      senderName: world.resident.name,
      text: `进度 ${request.number}`,
    })
    expect(own.reply).toContain('漏雨')

    // A resident who filed in the xiaoqu before may 同求 privately.
    const [filer] = await deps.db
      .insert(residents)
      .values({ wechatId: uniqueId('wxid_filer'), name: '王阿姨', createdAt: deps.clock.now() })
      .returning()
    await fileRequest(deps, {
      text: '小区门口路灯坏了',
      xiaoquId: world.xiaoqu.id,
      channel: 'wechat',
      resident: filer!,
    })
    const privately = await say(deps, {
      senderId: filer!.wechatId!,
      senderName: '王阿姨',
      text: `同求 ${request.number}`,
    })
    expect(privately.result).toMatchObject({ outcome: `support:${request.number}` })
  })

  // ---------------------------------------------------------------------------------------------------------
  // 6. Phones in full only to whoever holds the request, and admins; feedback without names for property staff

  it('masks the phone for staff who do not hold the request: API, console and exports', async () => {
    const world = await makeWorld(deps)
    const colleague = await makeStaff(deps, {
      name: uniqueId('同事'),
      role: 'officer',
      areaId: world.community.id,
    })
    const request = await fileIn(world)
    const full = '13501010001'
    const masked = '135****0001'

    const seen = await call(colleague.token, 'GET', `/requests/${request.number}`)
    expect(seen.body.contactPhone).toBe(masked)
    expect(seen.text).not.toContain(full)
    expect((await call(deps.adminToken, 'GET', `/requests/${request.number}`)).body.contactPhone).toBe(full)

    // The officer who accepts it holds it: his answer shows it in full, his colleague's stays masked.
    const accepted = await call(world.officer.token, 'POST', `/requests/${request.number}/accept`, {})
    expect(accepted.status).toBe(200)
    expect(accepted.body.contactPhone).toBe(full)
    expect((await call(colleague.token, 'GET', `/requests/${request.number}`)).body.contactPhone).toBe(masked)
    const listed = await call(colleague.token, 'GET', `/requests?xiaoquId=${world.xiaoqu.id}`)
    expect(listed.text).not.toContain(full)
    // Handing it on: the answer to the one who handed it is masked.
    const handed = await call(world.officer.token, 'POST', `/requests/${request.number}/assign`, {
      staffId: colleague.staff.id,
    })
    expect(handed.status, handed.text).toBe(200)
    expect(handed.body.contactPhone).toBe(masked)
    expect((await call(colleague.token, 'GET', `/requests/${request.number}`)).body.contactPhone).toBe(full)

    // Console: the holder sees it, the other officer does not.
    const holderPage = await (await login(colleague.token)).open(`/console/requests/${request.number}`)
    expect(holderPage.html).toContain(full)
    const otherPage = await (await login(world.officer.token)).open(`/console/requests/${request.number}`)
    expect(otherPage.status).toBe(200)
    expect(otherPage.html).toContain(masked)
    expect(otherPage.html).not.toContain(full)

    // Exports follow the same rule.
    const exported = await app.request('/api/v1/exports/requests.csv', {
      headers: { authorization: `Bearer ${world.officer.token}` },
    })
    expect(await exported.text()).not.toContain(full)
    const byAdmin = await app.request(`/api/v1/exports/requests.csv?xiaoquId=${world.xiaoqu.id}`, {
      headers: { authorization: `Bearer ${deps.adminToken}` },
    })
    expect(await byAdmin.text()).toContain(full)
  })

  it("shows property staff publicity feedback without residents' names", async () => {
    const world = await makeWorld(deps)
    const opensAt = new Date(deps.clock.now().getTime() + day)
    const publicity = await createPublicity(deps, world.officer.actor, {
      xiaoquId: world.xiaoqu.id,
      title: '方案',
      body: '内容',
      opensAt,
      closesAt: new Date(opensAt.getTime() + 8 * day),
    })
    await deps.db.insert(publicityFeedback).values({
      publicityId: publicity.id,
      residentId: world.resident.id,
      text: '希望保留晾衣架',
      category: '其他',
      at: deps.clock.now(),
    })
    const property = await makeStaff(deps, {
      name: uniqueId('物业'),
      role: 'property_staff',
      xiaoquId: world.xiaoqu.id,
    })
    const path = `/publicities/${publicity.number}/feedback`
    const forOfficer = await call(world.officer.token, 'GET', path)
    expect(forOfficer.body.items[0]).toMatchObject({ name: world.resident.name, text: '希望保留晾衣架' })
    const forProperty = await call(property.token, 'GET', path)
    expect(forProperty.status).toBe(200)
    expect(forProperty.body.items[0]).toMatchObject({ name: null, text: '希望保留晾衣架' })
    expect(forProperty.text).not.toContain(world.resident.name)
    const csv = await call(property.token, 'GET', `${path}?format=csv`)
    expect(csv.text).toContain('希望保留晾衣架')
    expect(csv.text).not.toContain(world.resident.name)
  })

  // ---------------------------------------------------------------------------------------------------------
  // 7. Organisations within scope; one rule for 转派 targets

  it("refuses an officer registering an organisation in another street's community", async () => {
    const home = await makeWorld(deps)
    const away = await makeWorld(deps)
    const ctx = { db: deps.db, now: deps.clock.now() }
    await expect(
      createOrganisation(ctx, away.officer.actor, {
        kind: 'property_company',
        name: uniqueId('物业公司'),
        areaId: home.community.id,
      }),
    ).rejects.toMatchObject({ status: 403 })
    const viaApi = await call(away.officer.token, 'POST', '/organisations', {
      kind: 'construction_unit',
      name: uniqueId('施工单位'),
      areaId: home.community.id,
    })
    expect(viaApi.status).toBe(403)
    // Within his own area it is fine, and without an area it goes under his own.
    const own = await createOrganisation(ctx, away.officer.actor, {
      kind: 'property_company',
      name: uniqueId('物业公司'),
    })
    expect(own.areaId).toBe(away.community.id)
    const admin = await adminActor(deps)
    expect(
      (await createOrganisation(ctx, admin, { kind: 'responsible_planner', name: uniqueId('规划师') }))
        .areaId,
    ).toBeNull()
  })

  it('offers in the console exactly the 转派 targets the API accepts: upward to the street, never an admin', async () => {
    const world = await makeWorld(deps)
    const away = await makeWorld(deps)
    const streetOfficer = await makeStaff(deps, {
      name: uniqueId('街道'),
      role: 'officer',
      areaId: world.street.id,
    })
    const property = await makeStaff(deps, {
      name: uniqueId('物业'),
      role: 'property_staff',
      xiaoquId: world.xiaoqu.id,
    })
    const retired = await makeStaff(deps, {
      name: uniqueId('退休'),
      role: 'officer',
      areaId: world.community.id,
    })
    await deps.db.update(staff).set({ active: false }).where(eq(staff.id, retired.staff.id))
    const admin = await adminActor(deps)
    const request = await fileIn(world)

    const page = await (await login(world.officer.token)).open(`/console/requests/${request.number}`)
    const offered = new Set([...page.html.matchAll(/<option value="(\d+)"/g)].map((m) => Number(m[1])))
    expect(offered.has(streetOfficer.staff.id)).toBe(true)
    expect(offered.has(property.staff.id)).toBe(true)
    expect(offered.has(world.officer.staff.id)).toBe(true)
    expect(offered.has(admin.staff.id)).toBe(false)

    // Every candidate is tried through the use case (rolled back): accepted exactly when offered.
    const ids = [world.officer, streetOfficer, property, retired, away.officer, admin].map((s) => s.staff.id)
    const everyone = await deps.db.select().from(staff).where(inArray(staff.id, ids))
    for (const target of everyone) {
      const accepted = await deps.db
        .transaction(async (tx) => {
          await assignRequest({ ...deps, db: tx }, world.officer.actor, request.number, target)
          throw new Error('rollback')
        })
        .then(
          () => true,
          (error: Error) => error.message === 'rollback',
        )
      expect([target.name, accepted]).toEqual([target.name, offered.has(target.id)])
    }

    // A crafted form naming the admin is refused by the API and the console alike.
    const viaApi = await call(world.officer.token, 'POST', `/requests/${request.number}/assign`, {
      staffId: admin.staff.id,
    })
    expect(viaApi.status).toBe(403)
    const browser = await login(world.officer.token)
    const detail = await browser.open(`/console/requests/${request.number}`)
    const crafted = await browser.post(detail, `/console/requests/${request.number}/assign`, {
      staffId: String(admin.staff.id),
    })
    expect(crafted.status).toBe(403)
    const [row] = await deps.db.select().from(requests).where(eq(requests.id, request.id))
    expect(row!.assigneeStaffId).toBeNull()
  })
})
