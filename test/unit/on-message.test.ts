import { describe, expect, it } from 'vitest'
import type { Message } from 'wechaty'
import { types } from 'wechaty'
import { toInbound } from '../../bot/on-message'
import { createLog } from '../../core/shared/log'

/** A wechaty Message as a puppet might hand it over, garbage included. */
function fakeMessage(fields: {
  id?: unknown
  talkerId?: unknown
  talkerName?: unknown
  text?: unknown
  date?: Date
}) {
  return {
    id: fields.id ?? 'm1',
    self: () => false,
    talker: () => ({
      id: fields.talkerId ?? 'wxid_a',
      name: () => ('talkerName' in fields ? fields.talkerName : '张桂兰'),
    }),
    room: () => undefined,
    type: () => types.Message.Text,
    text: () => ('text' in fields ? fields.text : '进度 Q1001'),
    date: () => fields.date ?? new Date('2026-12-01T08:00:00Z'),
  } as unknown as Message
}

describe('reading a puppet message', () => {
  const lines: string[] = []
  const log = createLog('warn', (line) => lines.push(line))

  it('hands over plain data for a readable message', async () => {
    expect(await toInbound(fakeMessage({}), '改造助手', log)).toMatchObject({
      id: 'm1',
      senderId: 'wxid_a',
      senderName: '张桂兰',
      text: '进度 Q1001',
      kind: 'text',
      mentionsSelf: false,
    })
  })

  it('skips what is not a message (no id, no sender) with a warning, and survives null names and texts', async () => {
    expect(await toInbound(fakeMessage({ id: '' }), '改造助手', log)).toBeNull()
    expect(await toInbound(fakeMessage({ talkerId: 42 }), '改造助手', log)).toBeNull()
    expect(lines.filter((l) => l.includes('not a readable message'))).toHaveLength(2)
    const odd = await toInbound(
      fakeMessage({ talkerName: null, text: null, date: new Date(Number.NaN) }),
      '改造助手',
      log,
    )
    expect(odd).toMatchObject({ senderName: '', text: '', sentAt: undefined })
  })

  it('keeps a very long text to its first 10,000 characters', async () => {
    const inbound = await toInbound(fakeMessage({ text: '灯'.repeat(50_000) }), '改造助手', log)
    expect(inbound?.text).toHaveLength(10_000)
  })
})
