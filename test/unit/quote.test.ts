import { describe, expect, it } from 'vitest'
import {
  type ParseContext,
  parseCommand,
  parseQuote,
  quotedNumbers,
  withoutLeadingMention,
} from '../../core/chat/chat.parser'

const dashes = (n: number) => Array.from({ length: n }, () => '-').join(' ')
const quoteOf = (name: string, quoted: string, body: string, n = 15) =>
  `「${name}：${quoted}」\n${dashes(n)}\n${body}`

describe('parseQuote', () => {
  it.each([15, 16])('splits a quote with %i dashes into name, quoted text and body', (n) => {
    const parsed = parseQuote(quoteOf('改造助手', '已收到您的诉求，编号 Q1001。\n分类：照明', '满意', n))
    expect(parsed).toEqual({
      quote: { name: '改造助手', text: '已收到您的诉求，编号 Q1001。\n分类：照明' },
      body: '满意',
    })
  })

  it('keeps a multi-line body and a group nickname with spaces as the name', () => {
    const parsed = parseQuote(quoteOf('改造 小助手', '诉求 Q7 已办结', '不满意\n灯还是不亮'))
    expect(parsed.quote?.name).toBe('改造 小助手')
    expect(parsed.body).toBe('不满意\n灯还是不亮')
  })

  it('takes the last 」 before the dash line, so a quoted text may hold 」 itself', () => {
    const parsed = parseQuote(quoteOf('张桂兰', '他说「灯坏了」对吧', '同求'))
    expect(parsed.quote?.text).toBe('他说「灯坏了」对吧')
    expect(parsed.body).toBe('同求')
  })

  it.each([
    '满意 Q1001',
    '「改造助手：Q1001」满意',
    `「改造助手：Q1001」\n- - -\n满意`,
    `「没有冒号」\n${dashes(15)}\n满意`,
  ])('leaves text that is not a quote as it is: %j', (text) => {
    expect(parseQuote(text)).toEqual({ body: text })
  })
})

describe('quotedNumbers', () => {
  it('finds the one request and publicity number, in any case and width', () => {
    expect(quotedNumbers('已收到您的诉求，编号 Ｑ１００１。')).toEqual({
      request: 'Q1001',
      publicity: undefined,
    })
    expect(quotedNumbers('公示 g12 正在进行')).toEqual({ request: undefined, publicity: 'G12' })
  })
  it('names none when a message lists several, and does not read words as numbers', () => {
    expect(quotedNumbers('Q1001【照明】…\nQ1002【上下水】…').request).toBeUndefined()
    expect(quotedNumbers('Q1001 和 Q1001 是同一条').request).toBe('Q1001')
    expect(quotedNumbers('FAQ12 IQ3').request).toBeUndefined()
  })
})

describe('withoutLeadingMention', () => {
  it('strips a group nickname wechaty did not know, up to U+2005 or a space', () => {
    expect(withoutLeadingMention('@改造小助手\u2005进度 Q1001', true)).toBe('进度 Q1001')
    expect(withoutLeadingMention('@改造小助手 进度 Q1001', true)).toBe('进度 Q1001')
    expect(withoutLeadingMention('@改造小助手', true)).toBe('')
  })
  it('leaves text alone when the bot was not mentioned or nothing leads with @', () => {
    expect(withoutLeadingMention('@王阿姨 楼道灯坏了', false)).toBe('@王阿姨 楼道灯坏了')
    expect(withoutLeadingMention('进度 Q1001', true)).toBe('进度 Q1001')
  })
  it('gives the progress command, never a new request, for a nickname mention', () => {
    const ctx: ParseContext = { botName: '改造助手', inRoom: true, mentionsSelf: true }
    const text = withoutLeadingMention('@改造小助手\u2005进度 Q1001', true)
    expect(parseCommand(text, ctx)).toEqual({ kind: 'progress', number: 'Q1001' })
  })
})

describe('parseCommand under a quoted bot message', () => {
  const room: ParseContext = { botName: '改造助手', inRoom: true, mentionsSelf: false }
  const quoting = (request?: string, publicity?: string): ParseContext => ({
    ...room,
    quoted: { request, publicity },
  })

  it.each([
    ['满意', { kind: 'rate', number: 'Q1001', rating: 'satisfied', reason: '' }],
    ['不满意 灯还是不亮', { kind: 'rate', number: 'Q1001', rating: 'unsatisfied', reason: '灯还是不亮' }],
    ['进度', { kind: 'progress', number: 'Q1001' }],
    ['同求', { kind: 'support', number: 'Q1001' }],
    ['进度 Q1002', { kind: 'progress', number: 'Q1002' }],
  ])('reads "%s" as meant for the quoted request, without a mention', (text, expected) => {
    expect(parseCommand(text, quoting('Q1001'))).toEqual(expected)
  })

  it('gives feedback to a quoted publicity', () => {
    expect(parseCommand('意见 南门不要封', quoting(undefined, 'G3'))).toEqual({
      kind: 'feedback',
      number: 'G3',
      text: '南门不要封',
    })
  })

  it('does not file plain chatter that quotes the bot', () => {
    expect(parseCommand('谢谢', quoting('Q1001'))).toEqual({ kind: 'ignore' })
  })

  it.each([
    '怎么还没人来修啊，都三天了！',
    '什么时候能修好？',
    '催一下',
    '到底有没有人管😡',
    '等了一个星期了',
  ])('reads "%s" as 催办 of the quoted request, with or without a mention', (said) => {
    expect(parseCommand(said, quoting('Q1001'))).toEqual({ kind: 'urge', number: 'Q1001', text: said })
    expect(parseCommand(`@改造助手 ${said}`, quoting('Q1001'))).toEqual({
      kind: 'urge',
      number: 'Q1001',
      text: said,
    })
  })

  it('takes praise under the quote as a nod, not a chase', () => {
    expect(parseCommand('还不错，谢谢', quoting('Q1001'))).toEqual({ kind: 'ignore' })
    expect(parseCommand('@改造助手 还不错，谢谢', quoting('Q1001'))).toEqual({
      kind: 'smallTalk',
      mood: 'thanks',
    })
    expect(parseCommand('@改造助手 挺好的👍', quoting('Q1001'))).toEqual({ kind: 'smallTalk', mood: 'ack' })
  })

  it.each(['怎么样了？', '有进展吗', '修好了吗'])('reads "%s" as 进度 of the quoted request', (said) => {
    expect(parseCommand(said, quoting('Q1001'))).toEqual({ kind: 'progress', number: 'Q1001' })
  })

  it('files a new problem said under the quote to the bot, and leaves the group its own talk', () => {
    const problem = '另外5号楼门口的井盖也松了'
    expect(parseCommand(`@改造助手 ${problem}`, quoting('Q1001'))).toEqual({ kind: 'file', text: problem })
    expect(parseCommand(problem, quoting('Q1001'))).toEqual({ kind: 'ignore' })
    // A long message that merely mentions time is a description, not a chase.
    const long =
      '3号楼到5号楼之间的路灯什么时候坏的不清楚，晚上老人出门很不方便，路面还有几个坑，下雨积水很深'
    expect(parseCommand(`@改造助手 ${long}`, quoting('Q1001'))).toEqual({ kind: 'file', text: long })
    // A quote naming no single request lends nothing to chase.
    expect(parseCommand('怎么还没人来修', quoting(undefined))).toEqual({ kind: 'ignore' })
  })

  it('takes 催办 as a command, with its number, the quoted one, or none', () => {
    expect(parseCommand('催办 Q1002', room)).toEqual({ kind: 'urge', number: 'Q1002', text: '' })
    expect(parseCommand('催办 Q1002 快一个月了', room)).toEqual({
      kind: 'urge',
      number: 'Q1002',
      text: '快一个月了',
    })
    expect(parseCommand('催办', quoting('Q1001'))).toEqual({ kind: 'urge', number: 'Q1001', text: '' })
    expect(parseCommand('催办', room)).toEqual({ kind: 'urge', text: '' })
  })

  it("without a quote, the same words in a group stay chatter, or back the group's latest request", () => {
    expect(parseCommand('不满意 灯还是不亮', room)).toEqual({ kind: 'ignore' })
    expect(parseCommand('同求', room)).toEqual({ kind: 'support' })
  })
})

describe('a request chased by its number, said to the bot', () => {
  const room: ParseContext = { botName: '改造助手', inRoom: true, mentionsSelf: true }
  it.each([
    ['Q1001怎么还没人管', 'Q1001'],
    ['请问q1001的诉求什么时候能处理', 'Q1001'],
    ['Q27 都两天了', 'Q27'],
  ])('reads "%s" as 催办', (said, number) => {
    expect(parseCommand(said, room)).toMatchObject({ kind: 'urge', number })
  })
  it('still files a new problem that starts with a number, and still answers progress questions', () => {
    expect(parseCommand('Q1001 灯又坏了', room)).toEqual({ kind: 'file', text: 'Q1001 灯又坏了' })
    expect(parseCommand('Q1001怎么样了', room)).toEqual({ kind: 'progress', number: 'Q1001' })
    expect(parseCommand('Q1001怎么还没人管', { ...room, mentionsSelf: false })).toEqual({ kind: 'ignore' })
  })
})
