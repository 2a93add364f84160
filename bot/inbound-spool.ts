import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { z } from 'zod'
import type { Inbound } from '../core/chat/chat.types'
import type { Log } from '../core/shared/log'

/**
 * Inbound messages the database could not take, kept on disk until it can: one JSON file per message,
 * named by its place in the queue, written to `<name>.tmp`, fsynced and renamed, so a crash leaves either
 * the whole message or a `.tmp` that the next start deletes. Bounded: when full the newest is refused.
 */
export interface InboundSpoolLimits {
  maxMessages: number
  maxBytes: number
}

/** Why a spooled image or voice has no bytes: the bot files it without them, as a photo it could not read. */
export type FileOmitted = 'too_large' | 'unreadable' | 'spool_full'

export interface SpoolEntry {
  name: string
  receivedAt: Date
  inbound: Omit<Inbound, 'file'>
  file?: { fileName: string; data: Buffer }
  fileOmitted?: FileOmitted
}

export type AppendResult = { spooled: true } | { spooled: false; reason: 'full' | 'unwritable' }

const isoDate = z.iso.datetime().transform((value) => new Date(value))

/** A spool file as read back: checked like any input, since a disk can hand back anything. */
const recordSchema = z.object({
  v: z.literal(1),
  receivedAt: isoDate,
  inbound: z.object({
    id: z.string().min(1),
    roomId: z.string().optional(),
    roomTopic: z.string().optional(),
    senderId: z.string().min(1),
    senderName: z.string(),
    text: z.string(),
    mentionsSelf: z.boolean(),
    sentAt: isoDate.optional(),
    kind: z.enum(['text', 'image', 'voice', 'other']).optional(),
    quote: z.object({ name: z.string(), text: z.string(), fromBot: z.boolean() }).optional(),
  }),
  file: z.object({ fileName: z.string(), base64: z.string() }).optional(),
  fileOmitted: z.enum(['too_large', 'unreadable', 'spool_full']).optional(),
})

const fileName = /^(\d{12})\.json$/
const nameOf = (seq: number) => `${String(seq).padStart(12, '0')}.json`

export type InboundSpool = ReturnType<typeof createInboundSpool>

export function createInboundSpool(dir: string, limits: InboundSpoolLimits, log: Log) {
  /** Files on disk, oldest first, with their sizes. */
  const entries: { name: string; bytes: number }[] = []
  let bytes = 0
  let nextSeq = 1
  /** Appends run one at a time, so files land in the order their places were taken. */
  let writes: Promise<unknown> = Promise.resolve()
  let reserved = { count: 0, bytes: 0 }
  let dirReady = false

  async function syncDir() {
    // A rename is durable once its directory is; some platforms cannot open a directory to sync it.
    const handle = await open(dir, 'r').catch(() => undefined)
    await handle?.sync().catch(() => {})
    await handle?.close()
  }

  async function write(name: string, body: string) {
    if (!dirReady) {
      await mkdir(dir, { recursive: true })
      dirReady = true
    }
    const temporary = join(dir, `${name}.tmp`)
    const handle = await open(temporary, 'w', 0o600)
    try {
      await handle.writeFile(body)
      await handle.sync()
    } finally {
      await handle.close()
    }
    await rename(temporary, join(dir, name))
    await syncDir()
  }

  /** Moves a file aside into `rejected/`, where an operator can look at it; it is no longer retried. */
  async function setAside(name: string) {
    const rejected = join(dir, 'rejected')
    await mkdir(rejected, { recursive: true })
    await rename(join(dir, name), join(rejected, name)).catch(() => rm(join(dir, name), { force: true }))
    forget(name)
  }

  const size = () => entries.length + reserved.count
  const spoolBytes = () => bytes + reserved.bytes

  function forget(name: string) {
    const index = entries.findIndex((e) => e.name === name)
    if (index < 0) return
    bytes -= entries[index]!.bytes
    entries.splice(index, 1)
  }

  return {
    dir,
    /** Messages waiting, counting those being written. */
    get size() {
      return size()
    },
    /** Messages on disk, ready to be read. */
    get ready() {
      return entries.length
    },
    get bytes() {
      return spoolBytes()
    },

    /** Reads what an earlier run left: deletes cut-short writes, queues the rest in their order. */
    async open() {
      const names = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return []
        throw error
      })
      dirReady = names.length > 0
      for (const name of names.filter((n) => n.endsWith('.tmp'))) {
        log.warn('inbound spool: removing a write cut short by a crash', { file: name })
        await rm(join(dir, name), { force: true })
      }
      const found = names.filter((n) => fileName.test(n)).sort()
      for (const name of found) {
        const length = (await stat(join(dir, name))).size
        entries.push({ name, bytes: length })
        bytes += length
      }
      const last = found.at(-1)
      nextSeq = last ? Number(fileName.exec(last)![1]) + 1 : 1
      return entries.length
    },

    /**
     * Keeps one message; resolves once it is on disk. The media bytes are dropped first when only they
     * do not fit; a message that does not fit at all is refused (oldest kept), and so is one the disk refuses.
     */
    append(message: Omit<SpoolEntry, 'name'>): Promise<AppendResult> {
      const record = (file: SpoolEntry['file'], fileOmitted: FileOmitted | undefined) =>
        JSON.stringify({
          v: 1,
          receivedAt: message.receivedAt.toISOString(),
          inbound: message.inbound,
          file: file && { fileName: file.fileName, base64: file.data.toString('base64') },
          fileOmitted,
        })
      if (size() >= limits.maxMessages) return Promise.resolve({ spooled: false, reason: 'full' })
      let body = record(message.file, message.fileOmitted)
      if (message.file && spoolBytes() + Buffer.byteLength(body) > limits.maxBytes) {
        body = record(undefined, 'spool_full')
      }
      const length = Buffer.byteLength(body)
      if (spoolBytes() + length > limits.maxBytes) return Promise.resolve({ spooled: false, reason: 'full' })
      const name = nameOf(nextSeq++)
      reserved = { count: reserved.count + 1, bytes: reserved.bytes + length }
      const done = writes.then(async (): Promise<AppendResult> => {
        try {
          await write(name, body)
          entries.push({ name, bytes: length })
          bytes += length
          return { spooled: true }
        } catch (error) {
          log.error('inbound spool: the message could not be written to disk', { err: error, dir })
          await rm(join(dir, `${name}.tmp`), { force: true }).catch(() => {})
          return { spooled: false, reason: 'unwritable' }
        } finally {
          reserved = { count: reserved.count - 1, bytes: reserved.bytes - length }
        }
      })
      writes = done
      return done
    },

    /** The oldest message; a file that cannot be read as one is set aside (and logged), and the next one read. */
    async first(): Promise<SpoolEntry | undefined> {
      while (entries.length > 0) {
        const { name } = entries[0]!
        let parsed: ReturnType<typeof recordSchema.safeParse>
        try {
          parsed = recordSchema.safeParse(JSON.parse(await readFile(join(dir, name), 'utf8')))
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
            forget(name)
            continue
          }
          if (!(error instanceof SyntaxError)) throw error
          parsed = { success: false, error: error as never }
        }
        if (!parsed.success) {
          log.error('inbound spool: a file is not a readable message; set aside in rejected/', {
            file: name,
            dir,
          })
          await setAside(name)
          continue
        }
        const { receivedAt, inbound, file, fileOmitted } = parsed.data
        return {
          name,
          receivedAt,
          inbound,
          file: file && { fileName: file.fileName, data: Buffer.from(file.base64, 'base64') },
          fileOmitted,
        }
      }
      return undefined
    },

    /** Deletes a message once the database has it. */
    async remove(name: string) {
      await rm(join(dir, name), { force: true })
      forget(name)
    },

    /** Sets a message aside that the database refused for what it is: retrying would block the rest forever. */
    reject: setAside,
  }
}
