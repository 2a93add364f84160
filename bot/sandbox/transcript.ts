import type { payloads } from 'wechaty-puppet'

export interface TranscriptEntry {
  seq: number
  /** The speaker's display name; `fromId` is their contact id. */
  from: string
  fromId: string
  text: string
  /** Names @mentioned in the text (the mock puppet keeps only the text of mentions). */
  mentions: string[]
  at: string
}

export interface Transcript {
  record(payload: payloads.Message): void
  /** A room's messages, or a private chat's with one contact, after `after`. */
  list(query: { roomId?: string; withId?: string; after?: number }): TranscriptEntry[]
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
const maxEntries = 5_000

export function createTranscript(options: {
  botId: string
  nameOf: (id: string) => string
  knownNames: () => string[]
}): Transcript {
  const entries: (TranscriptEntry & { key: string })[] = []
  let seq = 0
  const keyOf = (p: payloads.Message) => {
    if (p.roomId) return `room:${p.roomId}`
    const other = p.talkerId === options.botId ? p.listenerId : p.talkerId
    return `with:${other}`
  }
  return {
    record(p) {
      const text = p.text ?? ''
      const mentions = options
        .knownNames()
        .filter((name) => new RegExp(`@${escapeRegExp(name)}(?=[\\s\\u2005]|$)`).test(text))
      entries.push({
        key: keyOf(p),
        seq: ++seq,
        from: options.nameOf(p.talkerId ?? ''),
        fromId: p.talkerId ?? '',
        text,
        mentions,
        at: new Date(p.timestamp || Date.now()).toISOString(),
      })
      if (entries.length > maxEntries) entries.splice(0, entries.length - maxEntries)
    },
    list({ roomId, withId, after = 0 }) {
      const key = roomId ? `room:${roomId}` : `with:${withId}`
      return entries.filter((e) => e.key === key && e.seq > after).map(({ key: _key, ...e }) => e)
    },
  }
}
