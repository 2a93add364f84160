import { asc, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApi } from '../../api/app'
import { detectType } from '../../core/notices/attachments'
import { outbox } from '../../db/schema'
import { createTestDeps, type TestDeps } from '../support/deps'
import { makeWorld } from '../support/factories'
import { drivers } from '../support/test-db'

const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  Buffer.alloc(64, 1),
])
const pdf = Buffer.from('%PDF-1.4\n% design drawing\n')

describe('detecting a file type from its bytes', () => {
  it.each([
    [png, 'image/png'],
    [Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0]), 'image/jpeg'],
    [pdf, 'application/pdf'],
    [Buffer.from('<html>not a drawing</html>'), null],
    [Buffer.from('MZ\x90\x00'), null],
  ])('%#', (data, expected) => {
    expect(detectType(data)).toBe(expected)
  })
})

describe.each(drivers)('attachments on notices on %s', (driver) => {
  let deps: TestDeps
  let app: ReturnType<typeof createApi>
  beforeAll(async () => {
    deps = await createTestDeps(driver, { env: { ATTACHMENT_MAX_MB: '0.01' } })
    app = createApi(deps)
  })
  afterAll(async () => {
    await deps.database.close()
  })

  const upload = (token: string, name: string, body: Buffer, type = 'application/octet-stream') =>
    app.request(`/api/v1/attachments?name=${encodeURIComponent(name)}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': type },
      body: new Uint8Array(body),
    })

  it('stores a checked file, refuses the wrong type (415) and too large (413) with the limit', async () => {
    const world = await makeWorld(deps)
    const ok = await upload(world.officer.token, '效果图.png', png, 'image/png')
    expect(ok.status).toBe(201)
    expect(await ok.json()).toMatchObject({
      fileName: '效果图.png',
      mediaType: 'image/png',
      size: png.length,
    })
    // Claiming to be a PDF does not make it one.
    const fake = await upload(world.officer.token, 'plan.pdf', Buffer.from('just text'), 'application/pdf')
    expect(fake.status).toBe(415)
    expect(((await fake.json()) as { error: { message: string } }).error.message).toContain('PDF')
    const big = await upload(
      world.officer.token,
      'big.pdf',
      Buffer.concat([pdf, Buffer.alloc(20_000)]),
      'application/pdf',
    )
    expect(big.status).toBe(413)
    expect(((await big.json()) as { error: { message: string } }).error.message).toContain('MB')
    expect((await upload(world.officer.token, '', pdf)).status).toBe(400)
  })

  it('sends a broadcast text first, then its file, to each group once', async () => {
    const world = await makeWorld(deps)
    const file = (await (await upload(world.officer.token, '方案.pdf', pdf, 'application/pdf')).json()) as {
      id: number
    }
    const res = await app.request('/api/v1/notices/broadcasts', {
      method: 'POST',
      headers: { authorization: `Bearer ${world.officer.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ text: '设计方案见附件', xiaoquId: world.xiaoqu.id, attachmentIds: [file.id] }),
    })
    expect(res.status).toBe(201)
    const rows = await deps.db
      .select()
      .from(outbox)
      .where(eq(outbox.conversationId, world.roomId))
      .orderBy(asc(outbox.id))
    expect(rows.map((r) => [r.text.startsWith('【公告】'), r.attachmentId])).toEqual([
      [true, null],
      [false, file.id],
    ])
    const missing = await app.request('/api/v1/notices/broadcasts', {
      method: 'POST',
      headers: { authorization: `Bearer ${world.officer.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ text: '附件不存在', xiaoquId: world.xiaoqu.id, attachmentIds: [999_999] }),
    })
    expect(missing.status).toBe(400)
  })
})
