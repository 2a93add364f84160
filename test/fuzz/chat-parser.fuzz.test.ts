import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import {
  type Command,
  parseCommand,
  parseQuote,
  quotedNumbers,
  withoutLeadingMention,
} from '../../core/chat/chat.parser'
import { botName, chatText, commandWords } from './chat-text'
import { fuzzParameters, fuzzTimeoutMs } from './fuzz'

const context = fc.record({ inRoom: fc.boolean(), mentionsSelf: fc.boolean(), fromBot: fc.boolean() })

const request = z.string().regex(/^Q\d{1,9}$/)
const nonEmpty = z.string().min(1)
const commandSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('file'), text: z.string() }),
  z.strictObject({ kind: z.literal('progress'), number: request.optional() }),
  z.strictObject({ kind: z.literal('urge'), number: request.optional(), text: z.string() }),
  z.strictObject({ kind: z.literal('withdraw'), number: request.optional(), reason: z.string() }),
  z.strictObject({ kind: z.literal('mine') }),
  z.strictObject({ kind: z.literal('support'), number: request.optional() }),
  z.strictObject({
    kind: z.literal('rate'),
    number: request.optional(),
    rating: z.enum(['satisfied', 'unsatisfied']),
    reason: z.string(),
  }),
  z.strictObject({ kind: z.literal('help') }),
  z.strictObject({ kind: z.literal('bind'), code: nonEmpty.regex(/^\S+$/) }),
  z.strictObject({ kind: z.literal('bindGroup'), code: nonEmpty.regex(/^\S+$/) }),
  z.strictObject({ kind: z.literal('todo') }),
  z.strictObject({ kind: z.literal('complete'), number: z.string().regex(/^T\d{1,9}$/), note: z.string() }),
  z.strictObject({ kind: z.literal('digest'), on: z.boolean() }),
  z.strictObject({ kind: z.literal('claim'), text: nonEmpty }),
  z.strictObject({
    kind: z.literal('vote'),
    number: z
      .string()
      .regex(/^Z\d{1,9}$/)
      .optional(),
    choice: z.enum(['同意', '反对', '弃权']),
  }),
  z.strictObject({ kind: z.literal('campaign'), number: z.string().regex(/^Z\d{1,9}$/) }),
  z.strictObject({
    kind: z.literal('accept'),
    number: request,
    note: z.string(),
    inferred: z.literal(true).optional(),
  }),
  z.strictObject({
    kind: z.literal('assign'),
    number: request,
    target: nonEmpty.regex(/^\S+$/),
    note: z.string(),
  }),
  z.strictObject({ kind: z.literal('resolve'), number: request, note: z.string() }),
  z.strictObject({ kind: z.literal('announce'), text: nonEmpty }),
  z.strictObject({ kind: z.literal('confirm') }),
  z.strictObject({ kind: z.literal('feedback'), number: z.string().regex(/^G\d{1,9}$/), text: z.string() }),
  z.strictObject({
    kind: z.literal('missingArgument'),
    command: z.enum(commandWords),
    usage: nonEmpty.refine((u) => /\p{Script=Han}/u.test(u)),
  }),
  z.strictObject({ kind: z.literal('unknown'), text: z.string() }),
  z.strictObject({ kind: z.literal('smallTalk'), mood: z.enum(['thanks', 'greeting', 'ack']) }),
  z.strictObject({ kind: z.literal('ignore') }),
])

/** What the bot adapter and the dispatcher do with a text message, in their order. */
function parseAsTheBotDoes(raw: string, ctx: { inRoom: boolean; mentionsSelf: boolean; fromBot: boolean }) {
  const mentionsSelf = ctx.inRoom && ctx.mentionsSelf
  const parsed = parseQuote(raw)
  const body = parsed.quote ? withoutLeadingMention(parsed.body, mentionsSelf) : raw
  const quoted = parsed.quote && ctx.fromBot ? quotedNumbers(parsed.quote.text) : undefined
  const command: Command = parseCommand(body, { botName, inRoom: ctx.inRoom, mentionsSelf, quoted })
  return { parsed, quoted, command }
}

describe('the chat parser on arbitrary text', () => {
  it(
    'never throws, and turns every text into a well-formed command, a usage hint or a default',
    () => {
      fc.assert(
        fc.property(chatText, context, (raw, ctx) => {
          const { parsed, quoted, command } = parseAsTheBotDoes(raw, ctx)
          expect(typeof parsed.body).toBe('string')
          if (quoted?.request !== undefined) expect(quoted.request).toMatch(/^Q\d{1,9}$/)
          if (quoted?.publicity !== undefined) expect(quoted.publicity).toMatch(/^G\d{1,9}$/)
          const checked = commandSchema.safeParse(command)
          if (!checked.success) throw new Error(`malformed command ${JSON.stringify(command)}`)
          // A private message always gets an answer: only group chatter may be left alone.
          if (!ctx.inRoom) expect(command.kind).not.toBe('ignore')
          // The same text and context always mean the same thing.
          expect(parseAsTheBotDoes(raw, ctx).command).toEqual(command)
        }),
        fuzzParameters(1),
      )
    },
    fuzzTimeoutMs,
  )

  it('ends a binding code and a person’s name at a line break, as at a space (found by this fuzz)', () => {
    const dm = { botName, inRoom: false, mentionsSelf: false }
    expect(parseCommand('绑定 ABC234\n谢谢', dm)).toEqual({ kind: 'bind', code: 'ABC234' })
    expect(parseCommand('转派 Q1 王建国\n请今天联系居民', dm)).toEqual({
      kind: 'assign',
      number: 'Q1',
      target: '王建国',
      note: '请今天联系居民',
    })
  })
})
