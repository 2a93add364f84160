import { eq, gt, sql } from 'drizzle-orm'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { handleInbound, type Inbound } from '../../core/chat/chat.usecases'
import { silentLog } from '../../core/shared/log'
import { outbox } from '../../db/schema'
import { createTestDeps, type TestDeps } from '../support/deps'
import { makeStaff, makeWorld } from '../support/factories'
import { botName, chatText, quotedText } from './chat-text'
import { fuzzParameters, fuzzTimeoutMs, isChineseMessage } from './fuzz'

/**
 * Arbitrary text through the whole chat use case (parse, dispatch, handler, reply) on one PGlite database:
 * residents, an officer and a stranger, in the residents' group, the officers' group, an unknown group and
 * in private. Whatever they write, the bot answers with a reason in Chinese or stays silent by design;
 * it never falls into its generic "something went wrong".
 */
describe('the chat dispatcher on arbitrary text', () => {
  let deps: TestDeps
  let world: Awaited<ReturnType<typeof makeWorld>>
  let officerWechat: string
  /** The error behind a generic failure, which the dispatcher only logs. */
  let failure: unknown
  beforeAll(async () => {
    const base = await createTestDeps('pglite')
    deps = {
      ...base,
      log: {
        ...silentLog,
        error: (_message: string, fields?: { err?: unknown }) => {
          failure = fields?.err
        },
      },
    }
    world = await makeWorld(deps)
    const officer = await makeStaff(deps, {
      name: '李红梅',
      role: 'officer',
      areaId: world.community.id,
      wechat: true,
    })
    officerWechat = officer.staff.wechatId!
  })
  afterAll(async () => {
    await deps.database.close()
  })

  it(
    'answers every message with a reasoned Chinese reply, or stays silent by design',
    async () => {
      let seq = 0
      const sender = fc.constantFrom(
        () => ({ senderId: world.resident.wechatId!, senderName: world.resident.name }),
        () => ({ senderId: officerWechat, senderName: '李红梅' }),
        () => ({ senderId: 'wxid_stranger', senderName: '路人' }),
      )
      const room = fc.constantFrom(
        () => world.roomId,
        () => world.officersRoomId,
        () => 'unknown@chatroom',
        () => undefined,
      )
      const quote = fc.option(
        fc.record({ name: fc.constantFrom(botName, '张三'), text: quotedText, fromBot: fc.boolean() }),
        { nil: undefined },
      )
      await fc.assert(
        fc.asyncProperty(
          chatText,
          sender,
          room,
          fc.boolean(),
          quote,
          async (text, who, where, mentionsSelf, quoted) => {
            const roomId = where()
            const inbound: Inbound = {
              id: `fuzz-${++seq}`,
              ...who(),
              roomId,
              roomTopic: roomId ? '居民群' : undefined,
              text,
              mentionsSelf: Boolean(roomId) && mentionsSelf,
              quote: quoted,
            }
            const [{ before }] = (await deps.db
              .select({ before: sql<number>`coalesce(max(${outbox.id}), 0)::int` })
              .from(outbox)) as [{ before: number }]
            failure = undefined
            const result = await handleInbound(deps, inbound).catch((error: unknown) => {
              throw new Error(`the message was lost: ${JSON.stringify(inbound)}`, {
                cause: failure ? new AggregateError([failure, error], 'logged, then thrown') : error,
              })
            })
            if (result.duplicate) throw new Error('a fresh message id was taken for a duplicate')
            const written = await deps.db.select().from(outbox).where(gt(outbox.id, before))
            const reply = written.find((m) => m.dedupeKey?.startsWith(`reply:${inbound.id}`))
            if (result.outcome.startsWith('error:'))
              throw new Error(`the handler failed on ${JSON.stringify(inbound)}`, { cause: failure })
            if (result.outcome === 'ignored' || result.outcome === 'unbound-room')
              expect(reply).toBeUndefined()
            if (result.outcome.startsWith('refused:') && !written.some((m) => isChineseMessage(m.text)))
              throw new Error(`refused without a reason: ${result.outcome} for ${JSON.stringify(inbound)}`)
            for (const m of written)
              if (m.attachmentId === null && m.text.trim() === '')
                throw new Error(`an empty message was queued for ${JSON.stringify(inbound)}`)
            if (reply && !isChineseMessage(reply.text))
              throw new Error(`a reply with no Chinese in it: ${JSON.stringify(reply.text)}`)
          },
        ),
        fuzzParameters(0.1),
      )
    },
    fuzzTimeoutMs,
  )

  it('keeps a message that ends in half an emoji, and lists it back (found by this fuzz)', async () => {
    const resident = { senderId: world.resident.wechatId!, senderName: world.resident.name }
    const roomId = world.roomId
    const say = (id: string, text: string) =>
      handleInbound(deps, { id, ...resident, roomId, text, mentionsSelf: true })
    expect(await say('half-1', '灯坏了\ud83d')).toMatchObject({ duplicate: false })
    // 17 characters, then an emoji: an 18-unit excerpt would end inside it; the excerpt counts whole
    // characters, so the emoji is kept.
    const leak = '6号楼门口一直漏水已经三天了物业一😀直没人来管'
    expect(await say('half-2', leak)).toMatchObject({ duplicate: false })
    const listed = await say('half-3', '进度')
    expect(listed).toMatchObject({ duplicate: false })
    const [reply] = await deps.db.select().from(outbox).where(eq(outbox.dedupeKey, 'reply:half-3'))
    expect(reply?.text).toContain(`${leak.slice(0, 19)}…`)
    expect(reply?.text).toContain('灯坏了\ufffd')
    expect((listed as { outcome: string }).outcome).not.toMatch(/^error:/)
  })
})
