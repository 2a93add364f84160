import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createInboundQueue, shouldSpool } from '../../bot/inbound-queue'
import { createInboundSpool, type SpoolEntry } from '../../bot/inbound-spool'
import type { Inbound } from '../../core/chat/chat.types'
import { invalid } from '../../core/shared/errors'
import { createLog, silentLog } from '../../core/shared/log'

const dirs: string[] = []
const freshDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'gaizao-spool-unit-'))
  dirs.push(dir)
  return join(dir, 'spool')
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

const roomy = { maxMessages: 1_000, maxBytes: 10 * 1024 * 1024 }
const at = new Date('2026-03-02T02:00:00Z')
const inbound = (id: string, extra: Partial<Inbound> = {}): Omit<Inbound, 'file'> => ({
  id,
  senderId: 'wxid_a',
  senderName: '张桂兰',
  text: `消息 ${id}`,
  mentionsSelf: false,
  ...extra,
})
const connectionRefused = () => Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })

/** Everything in the spool, oldest first, removing each as it is read. */
async function drainAll(spool: ReturnType<typeof createInboundSpool>) {
  const out: SpoolEntry[] = []
  for (let entry = await spool.first(); entry; entry = await spool.first()) {
    out.push(entry)
    await spool.remove(entry.name)
  }
  return out
}

describe('the inbound spool on disk', () => {
  it('gives messages back in the order they were put in, with their times, after a restart from the same directory', async () => {
    const dir = freshDir()
    const spool = createInboundSpool(dir, roomy, silentLog)
    expect(await spool.open()).toBe(0)
    const sentAt = new Date('2026-03-02T01:59:00Z')
    await Promise.all(
      ['a', 'b', 'c'].map((id, i) =>
        spool.append({ receivedAt: new Date(at.getTime() + i), inbound: inbound(id, { sentAt }) }),
      ),
    )
    expect(spool.size).toBe(3)

    const reopened = createInboundSpool(dir, roomy, silentLog)
    expect(await reopened.open()).toBe(3)
    await reopened.append({ receivedAt: at, inbound: inbound('d') })
    const entries = await drainAll(reopened)
    expect(entries.map((e) => e.inbound.id)).toEqual(['a', 'b', 'c', 'd'])
    expect(entries[1]!.receivedAt).toEqual(new Date(at.getTime() + 1))
    expect(entries[0]!.inbound.sentAt).toEqual(sentAt)
    expect(readdirSync(dir).filter((n) => n.endsWith('.json'))).toEqual([])
  })

  it('keeps an image with its bytes', async () => {
    const spool = createInboundSpool(freshDir(), roomy, silentLog)
    const data = Buffer.from([0xff, 0xd8, 0x00, 0x01, 0x02])
    await spool.append({
      receivedAt: at,
      inbound: inbound('img', { kind: 'image' }),
      file: { fileName: 'a.jpg', data },
    })
    const [entry] = await drainAll(spool)
    expect(entry!.file).toEqual({ fileName: 'a.jpg', data })
    expect(entry!.fileOmitted).toBeUndefined()
  })

  it('refuses the newest message when full, keeping the oldest, and drops media bytes before text', async () => {
    const counted = createInboundSpool(freshDir(), { maxMessages: 2, maxBytes: 1024 * 1024 }, silentLog)
    expect(await counted.append({ receivedAt: at, inbound: inbound('1') })).toEqual({ spooled: true })
    expect(await counted.append({ receivedAt: at, inbound: inbound('2') })).toEqual({ spooled: true })
    expect(await counted.append({ receivedAt: at, inbound: inbound('3') })).toEqual({
      spooled: false,
      reason: 'full',
    })
    expect((await drainAll(counted)).map((e) => e.inbound.id)).toEqual(['1', '2'])

    const sized = createInboundSpool(freshDir(), { maxMessages: 100, maxBytes: 2_000 }, silentLog)
    const photo = { fileName: 'big.jpg', data: Buffer.alloc(4_000, 1) }
    await sized.append({ receivedAt: at, inbound: inbound('p', { kind: 'image' }), file: photo })
    expect(
      await sized.append({ receivedAt: at, inbound: inbound('long', { text: '灯'.repeat(1_000) }) }),
    ).toEqual({
      spooled: false,
      reason: 'full',
    })
    const [kept] = await drainAll(sized)
    expect(kept).toMatchObject({ inbound: { id: 'p' }, fileOmitted: 'spool_full' })
    expect(kept!.file).toBeUndefined()
  })

  it('deletes a write a crash cut short and sets aside a file it cannot read, keeping the rest', async () => {
    const dir = freshDir()
    const lines: string[] = []
    const first = createInboundSpool(dir, roomy, silentLog)
    await first.append({ receivedAt: at, inbound: inbound('ok-1') })
    await first.append({ receivedAt: at, inbound: inbound('ok-2') })
    const [, second] = readdirSync(dir).sort()
    writeFileSync(join(dir, '000000000003.json.tmp'), '{"v":1,"receivedAt":"2026-')
    // A file that is whole on disk but is not a message (a bad disk, a hand edit).
    writeFileSync(join(dir, second!), '{"v":1,"receivedAt":')

    const spool = createInboundSpool(
      dir,
      roomy,
      createLog('warn', (line) => lines.push(line)),
    )
    expect(await spool.open()).toBe(2)
    expect(readdirSync(dir).some((n) => n.endsWith('.tmp'))).toBe(false)
    expect((await drainAll(spool)).map((e) => e.inbound.id)).toEqual(['ok-1'])
    expect(readdirSync(join(dir, 'rejected'))).toEqual([second])
    expect(lines.some((l) => l.includes('not a readable message'))).toBe(true)
    // The next message takes a new place, never a set-aside one's.
    await spool.append({ receivedAt: at, inbound: inbound('ok-3') })
    expect(readdirSync(dir).filter((n) => n.endsWith('.json'))).toEqual(['000000000003.json'])
  })

  it('writes nothing to disk until a message needs it', async () => {
    const dir = freshDir()
    await createInboundSpool(dir, roomy, silentLog).open()
    expect(() => readdirSync(dir)).toThrow()
  })

  it('reports a message the disk refuses as lost rather than throwing', async () => {
    const file = join(freshDir(), '..', 'not-a-dir')
    writeFileSync(file, '')
    const spool = createInboundSpool(join(file, 'spool'), roomy, silentLog)
    expect(await spool.append({ receivedAt: at, inbound: inbound('x') })).toEqual({
      spooled: false,
      reason: 'unwritable',
    })
    expect(spool.size).toBe(0)
  })
})

describe('which failures are spooled', () => {
  it('spools what the storage failed at, not what the message caused', () => {
    expect(shouldSpool(connectionRefused())).toBe(true)
    expect(shouldSpool(Object.assign(new Error('terminating connection'), { code: '57P01' }))).toBe(true)
    expect(
      shouldSpool(Object.assign(new Error('write CONNECTION_CLOSED'), { code: 'CONNECTION_CLOSED' })),
    ).toBe(true)
    expect(shouldSpool(new Error('PGlite is closed'))).toBe(true)
    expect(shouldSpool(invalid('chat.bad', '消息无效'))).toBe(false)
    const dataError = Object.assign(new Error('invalid byte sequence'), { code: '22021' })
    expect(shouldSpool(dataError)).toBe(false)
    expect(shouldSpool(new Error('Failed query', { cause: dataError }))).toBe(false)
    expect(shouldSpool(Object.assign(new Error('duplicate key'), { code: '23505' }))).toBe(false)
  })
})

/** A database as the queue sees it: a list of stored ids, failing while `down`. */
function fakeStore() {
  const state = {
    down: false,
    stored: [] as { id: string; receivedAt?: Date; file?: Buffer }[],
  }
  const gates = new Map<string, Promise<void>>()
  return {
    state,
    gate(id: string) {
      let open!: () => void
      gates.set(id, new Promise<void>((resolve) => (open = resolve)))
      return () => open()
    },
    async store(message: Inbound, receivedAt?: Date) {
      await gates.get(message.id)
      if (state.down) throw connectionRefused()
      if (state.stored.some((s) => s.id === message.id)) return
      state.stored.push({ id: message.id, receivedAt, file: (await message.file?.())?.data })
    },
  }
}

function queueOver(
  dir: string,
  store: ReturnType<typeof fakeStore>,
  extra: { databaseUp?: () => Promise<boolean> } = {},
) {
  return createInboundQueue({
    spool: createInboundSpool(dir, roomy, silentLog),
    store: (message, receivedAt) => store.store(message, receivedAt),
    databaseUp: extra.databaseUp ?? (async () => !store.state.down),
    log: silentLog,
    retryBaseMs: 1,
    retryMaxMs: 4,
    maxFileBytes: 1_000,
  })
}

const full = (id: string, extra: Partial<Inbound> = {}): Inbound => ({ ...inbound(id), ...extra })

describe('the inbound queue', () => {
  it('stores directly while the spool is empty, and queues every later message behind a spooled one', async () => {
    const store = fakeStore()
    const dir = freshDir()
    const queue = queueOver(dir, store)
    await queue.start()
    await queue.take('c1', async () => full('1'), at)
    store.state.down = true
    await queue.take('c1', async () => full('2'), at)
    store.state.down = false
    // The database is back, but '2' waits in the spool: '3' must not overtake it.
    const release = store.gate('2')
    await queue.take('c2', async () => full('3'), at)
    expect(queue.stats().waiting).toBe(2)
    release()
    await queue.idle()
    expect(store.state.stored.map((s) => s.id)).toEqual(['1', '2', '3'])
    expect(store.state.stored[0]!.receivedAt).toBeUndefined()
    expect(store.state.stored[1]!.receivedAt).toEqual(at)
    expect(queue.stats()).toMatchObject({
      waiting: 0,
      spooled: 2,
      dropped: { full: 0, unwritable: 0, rejected: 0 },
    })
    await queue.stop()
  })

  it("keeps one conversation's messages in order even when the first is slow", async () => {
    const store = fakeStore()
    const queue = queueOver(freshDir(), store)
    await queue.start()
    const release = store.gate('slow')
    const first = queue.take('room', async () => full('slow'), at)
    const second = queue.take('room', async () => full('quick'), at)
    const other = queue.take('elsewhere', async () => full('other'), at)
    await other
    expect(store.state.stored.map((s) => s.id)).toEqual(['other'])
    release()
    await Promise.all([first, second])
    expect(store.state.stored.map((s) => s.id)).toEqual(['other', 'slow', 'quick'])
  })

  it('fetches an image while spooling it and hands the bytes over on replay; a file too large is left out', async () => {
    const store = fakeStore()
    const queue = queueOver(freshDir(), store)
    await queue.start()
    store.state.down = true
    const photo = Buffer.from([1, 2, 3])
    await queue.take(
      'c',
      async () => full('small', { kind: 'image', file: async () => ({ fileName: 'a.jpg', data: photo }) }),
      at,
    )
    await queue.take(
      'c',
      async () =>
        full('huge', { kind: 'image', file: async () => ({ fileName: 'b.jpg', data: Buffer.alloc(5_000) }) }),
      at,
    )
    store.state.down = false
    await queue.idle()
    expect(store.state.stored).toEqual([
      { id: 'small', receivedAt: at, file: photo },
      { id: 'huge', receivedAt: at, file: undefined },
    ])
  })

  it('leaves the spool on disk when stopped, and a new queue over the same directory files it once', async () => {
    const store = fakeStore()
    const dir = freshDir()
    store.state.down = true
    const before = queueOver(dir, store)
    await before.start()
    for (const id of ['a', 'b', 'c']) await before.take('c', async () => full(id), at)
    await before.stop()
    expect(readdirSync(dir).filter((n) => n.endsWith('.json'))).toHaveLength(3)
    const [firstFile] = readdirSync(dir).sort()
    expect(JSON.parse(readFileSync(join(dir, firstFile!), 'utf8'))).toMatchObject({ inbound: { id: 'a' } })

    store.state.down = false
    const after = queueOver(dir, store)
    await after.start()
    await after.idle()
    await after.stop()
    expect(store.state.stored.map((s) => s.id)).toEqual(['a', 'b', 'c'])
  })

  it('sets aside a message that keeps failing while the database answers, so it cannot block the rest', async () => {
    const store = fakeStore()
    const dir = freshDir()
    const queue = createInboundQueue({
      spool: createInboundSpool(dir, roomy, silentLog),
      store: async (message, receivedAt) => {
        if (message.id === 'poison') throw new TypeError('a bug this message alone triggers')
        await store.store(message, receivedAt)
      },
      databaseUp: async () => true,
      log: silentLog,
      retryBaseMs: 1,
      retryMaxMs: 2,
      maxFileBytes: 1_000,
      maxFailuresWhileUp: 3,
    })
    await queue.start()
    await queue.take('c', async () => full('poison'), at)
    await queue.take('c', async () => full('next'), at)
    await queue.idle()
    expect(store.state.stored.map((s) => s.id)).toEqual(['next'])
    expect(queue.stats().dropped.rejected).toBe(1)
    expect(readdirSync(join(dir, 'rejected'))).toHaveLength(1)
  })

  it('logs and drops a message refused for what it is, without spooling it', async () => {
    const dir = freshDir()
    const lines: string[] = []
    const queue = createInboundQueue({
      spool: createInboundSpool(dir, roomy, silentLog),
      store: async () => {
        throw invalid('chat.bad', '消息无效')
      },
      databaseUp: async () => true,
      log: createLog('error', (line) => lines.push(line)),
      retryBaseMs: 1,
      retryMaxMs: 2,
      maxFileBytes: 1_000,
    })
    await queue.take('c', async () => full('bad'), at)
    expect(queue.stats()).toMatchObject({ waiting: 0, spooled: 0 })
    expect(lines.some((l) => l.includes('inbound message failed'))).toBe(true)
  })
})
