import { deflateSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { databaseEnv, freePort, type GaizaoProcess, startGaizaoProcess } from '../support/gaizao-process'
import { type Gateway, startGateway } from '../support/gateway'
import { bindWorld } from '../support/gateway-world'
import { drivers } from '../support/test-db'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * What a new user checks first, over a real gRPC gateway and the HTTP API: invitations from staff are
 * accepted and strangers' are not, friends get the help text, newcomers are welcomed once, renames and
 * removals are followed, a photo after filing joins the request, and a quoted reply rates it.
 */
describe.each(drivers)('Gaizao group lifecycle over a gRPC gateway on %s', (driver) => {
  let gateway: Gateway
  let gaizao: GaizaoProcess
  let closeDatabase = async () => {}
  let world: Awaited<ReturnType<typeof bindWorld>>

  beforeAll(async () => {
    const database = await databaseEnv(driver)
    const env = database.env
    closeDatabase = database.close
    gateway = await startGateway({ port: await freePort(), heartbeatMs: 15_000 })
    gaizao = await startGaizaoProcess({
      ...env,
      ...gateway.env,
      BOT_WELCOME_NEW_MEMBERS: 'true',
      BOT_ACCEPT_INVITES: 'staff',
      BOT_ACCEPT_FRIENDS: 'all',
    })
    await gaizao.until(async () => (await gaizao.readyz()).status === 200, 'readyz 200', 90_000)
    world = await bindWorld(gaizao, gateway)
  }, 120_000)

  afterAll(async () => {
    await gaizao?.cleanup()
    await gateway?.close()
    await closeDatabase()
    if (process.env.GATEWAY_E2E_LOG) process.stdout.write(`${gaizao?.lines.join('\n')}\n`)
  })

  const groupByRoom = async (roomId: string) => {
    const res = await gaizao.api('GET', '/groups')
    expect(res.status, res.text).toBe(200)
    return (res.body.items as { roomId: string; topic: string; state: string }[]).find(
      (g) => g.roomId === roomId,
    )
  }

  it("accepts a bound officer's invitation and tells the officers' group, but not a stranger's", async () => {
    const topic = `农光里3号楼楼栋群${world.suffix}`
    const after = Date.now()
    const invitation = gateway.invite(world.officerContact, topic)
    await gaizao.until(() => invitation.accepted(), "the officer's invitation accepted", 15_000)
    const told = await gateway.waitForSaid(
      (m) => m.roomId === world.officersRoom.id && m.text.includes('机器人已加入'),
      { after },
    )
    expect(told.text).toContain(topic)

    const stranger = gateway.person('陌生人王五')
    const declined = gateway.invite(stranger, `拼团群${world.suffix}`)
    await sleep(3_000)
    expect(declined.accepted()).toBe(false)
    expect(gateway.said().filter((m) => m.text.includes('拼团群'))).toEqual([])
  }, 60_000)

  it('accepts a friend request and sends the new friend the help text privately', async () => {
    const friend = gateway.person('赵大爷')
    const after = Date.now()
    const request = gateway.friendRequest(friend, '你好，我是农光里的居民')
    await gaizao.until(() => request.accepted(), 'the friend request accepted', 15_000)
    const help = await gateway.waitForSaid((m) => m.toId === friend.id, { after })
    expect(help.text).toContain('报事 问题描述')
    expect(help.roomId).toBeUndefined()
  }, 60_000)

  it("welcomes a newcomer to the residents' group once, even when they leave and rejoin", async () => {
    const newcomer = gateway.person('孙阿姨')
    const isWelcome = (m: { roomId?: string; text: string; mentionIds: string[] }) =>
      m.roomId === world.residentsRoom.id &&
      m.text.includes('欢迎加入本群') &&
      m.mentionIds.includes(newcomer.id)
    const after = Date.now()
    gateway.join(world.residentsRoom, [newcomer], world.officerContact)
    const welcome = await gateway.waitForSaid(isWelcome, { after })
    expect(welcome.text).toContain(`@${gateway.botName}`)

    // Rejoining is not being new: no second greeting (within the 10-minute gap the group would be quiet
    // anyway; membersJoined also remembers who was ever greeted).
    gateway.leave(world.residentsRoom, [newcomer], newcomer)
    await sleep(1_000)
    gateway.join(world.residentsRoom, [newcomer], world.officerContact)
    await sleep(3_000)
    expect(gateway.said({ room: world.residentsRoom }).filter(isWelcome)).toHaveLength(1)
  }, 60_000)

  it("follows a rename of the residents' group", async () => {
    const topic = `农光里居民群（改造）${world.suffix}`
    gateway.rename(world.residentsRoom, topic, world.officerContact)
    await gaizao.until(
      async () => (await groupByRoom(world.residentsRoom.id))?.topic === topic,
      'the new topic in GET /groups',
      10_000,
    )
  }, 60_000)

  it("attaches a photo sent after filing to the request and forwards it to the officers' group", async () => {
    const resident = world.resident
    let after = Date.now()
    gateway.say(resident, '5号楼北侧雨水管断了，下雨就往墙上淌水', {
      room: world.residentsRoom,
      mention: true,
    })
    const filed = await gateway.waitForSaid(
      (m) => m.roomId === world.residentsRoom.id && /Q\d+/.test(m.text) && m.mentionIds.includes(resident.id),
      { after },
    )
    world.number = /Q\d+/.exec(filed.text)![0]

    after = Date.now()
    gateway.sendImage(resident, world.residentsRoom, tinyPng(), 'downpipe.png')
    const ack = await gateway.waitForSaid(
      (m) => m.roomId === world.residentsRoom.id && m.text.includes('照片'),
      { after },
    )
    expect(ack.text).toContain(`已将照片补充到诉求 ${world.number}`)

    const detail = await gaizao.api('GET', `/requests/${world.number}`)
    expect(detail.status, detail.text).toBe(200)
    expect(detail.body.photos).toHaveLength(1)
    expect(detail.body.photos[0].size).toBe(tinyPng().length)

    const forwarded = await gateway.waitForSaid(
      (m) => m.roomId === world.officersRoom.id && m.fileName !== undefined,
      { after },
    )
    expect(forwarded.fileName).toContain(world.number)
    expect(forwarded.fileName).toMatch(/\.png$/)
  }, 60_000)

  it('rates the quoted request satisfied when a resident replies 满意 to its resolution message', async () => {
    expect(world.number).not.toBe('')
    // A second resolved request of the same resident: a bare 满意 would be ambiguous, only the quote tells.
    let after = Date.now()
    gateway.say(world.resident, '6号楼门口的路灯不亮了', { room: world.residentsRoom, mention: true })
    const other = /Q\d+/.exec(
      (
        await gateway.waitForSaid(
          (m) => m.roomId === world.residentsRoom.id && /Q\d+/.test(m.text) && !m.text.includes(world.number),
          { after },
        )
      ).text,
    )![0]

    after = Date.now()
    for (const [number, note] of [
      [world.number, '已重新接好雨水管'],
      [other, '已更换路灯灯泡'],
    ] as const) {
      const resolved = await gaizao.api('POST', `/requests/${number}/resolve`, { note }, world.officerToken)
      expect(resolved.status, resolved.text).toBe(200)
    }
    const notice = await gateway.waitForSaid(
      (m) =>
        m.roomId === world.residentsRoom.id && m.text.includes(world.number) && m.text.includes('已办结'),
      { after },
    )
    await gateway.waitForSaid(
      (m) => m.roomId === world.residentsRoom.id && m.text.includes(other) && m.text.includes('已办结'),
      { after },
    )

    after = Date.now()
    gateway.say(
      world.resident,
      `「${gateway.botName}：${notice.text}」\n- - - - - - - - - - - - - - -\n满意`,
      { room: world.residentsRoom },
    )
    // The resident hears back, with a real mention, about the quoted request.
    const thanks = await gateway.waitForSaid((m) => m.roomId === world.residentsRoom.id, { after })
    expect(thanks.mentionIds).toContain(world.resident.id)
    expect(thanks.text).toContain(world.number)
    const rated = await gaizao.api('GET', `/requests/${world.number}`)
    expect(rated.status, rated.text).toBe(200)
    expect(rated.body.status).toBe('closed')
    expect(rated.body.rating).toBe('satisfied')
    const untouched = await gaizao.api('GET', `/requests/${other}`)
    expect(untouched.body.status).toBe('resolved')
    expect(untouched.body.rating).toBeNull()
  }, 60_000)

  it("is removed from the residents' group: the group is left, officers are told, broadcasts skip it", async () => {
    let after = Date.now()
    gateway.removeBot(world.residentsRoom, world.officerContact)
    await gaizao.until(
      async () => (await groupByRoom(world.residentsRoom.id))?.state === 'left',
      "the residents' group left in GET /groups",
      10_000,
    )
    const told = await gateway.waitForSaid(
      (m) => m.roomId === world.officersRoom.id && m.text.includes('移出'),
      { after },
    )
    expect(told.text).toContain(world.residentsRoom.payload.topic)

    after = Date.now()
    const broadcast = await gaizao.api('POST', '/notices/broadcasts', {
      text: '【电梯检修】周三下午2号楼电梯检修，请走楼梯。',
      xiaoquId: world.xiaoquId,
    })
    // The xiaoqu's only residents' group is gone: the officer is told so instead of a silent no-op.
    expect(broadcast.status, broadcast.text).toBe(422)
    expect(broadcast.body.error.code).toBe('notices.no_groups')
    await sleep(3_000)
    expect(gateway.said({ room: world.residentsRoom }).filter((m) => m.at >= after)).toEqual([])
    expect(gateway.said().filter((m) => m.text.includes('电梯检修'))).toEqual([])
    const failed = await gaizao.api('GET', '/outbox?status=failed')
    expect(failed.status, failed.text).toBe(200)
    expect(failed.body.items).toEqual([])
  }, 60_000)
})

/** A 1×1 grey PNG: signature, IHDR, one IDAT row, IEND, with real CRCs. */
function tinyPng() {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    return c >>> 0
  })
  const crc32 = (data: Buffer) => {
    let c = 0xffffffff
    for (const byte of data) c = crcTable[(c ^ byte) & 0xff]! ^ (c >>> 8)
    return (c ^ 0xffffffff) >>> 0
  }
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4)
    length.writeUInt32BE(data.length)
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data])
    const crc = Buffer.alloc(4)
    crc.writeUInt32BE(crc32(body))
    return Buffer.concat([length, body, crc])
  }
  const header = Buffer.alloc(13)
  header.writeUInt32BE(1, 0) // width
  header.writeUInt32BE(1, 4) // height
  header[8] = 8 // bit depth
  header[9] = 0 // greyscale
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.from([0x00, 0x80]))),
    chunk('IEND', Buffer.alloc(0)),
  ])
}
