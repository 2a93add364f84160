import fc from 'fast-check'
import { commandWords } from '../../core/chat/chat.parser'
import { anyText } from './fuzz'

export const botName = '改造助手'
export { commandWords }

/** ASCII letters, digits, '#' and spaces as a phone keyboard in full-width mode types them. */
const fullWidth = (s: string) =>
  s.replace(/[#0-9A-Za-z ]/g, (c) => (c === ' ' ? '\u3000' : String.fromCharCode(c.charCodeAt(0) + 0xfee0)))

const dashLine = fc.integer({ min: 8, max: 26 }).map((n) => Array.from({ length: n }, () => '-').join(' '))
/** A request, publicity, task, vote… number as people type it: mostly small ones, which exist. */
const numberLike = fc
  .tuple(
    fc.constantFrom('', 'Q', 'q', 'G', 'g', 'T', 'Z', 'B', 'P', 'S'),
    fc.oneof(fc.nat(40).map(String), fc.stringMatching(/^\d{1,12}$/)),
  )
  .map(([prefix, digits]) => prefix + digits)
const piece = fc.oneof(
  fc.constantFrom(...commandWords, '?', '？', '开', '关', '3号楼2单元301', '灯不亮了', '楼道漏水三天了'),
  fc.constantFrom(...commandWords).map(fullWidth),
  numberLike,
  numberLike.map(fullWidth),
  fc.constantFrom(`@${botName}`, `@${botName}\u2005`, `＠${botName}`, '@张三 ', '@', '@@'),
  fc.constantFrom('「', '」', '：', ':', '，', ',', '\n', '\r\n', ' ', '\u3000', '\u2005', '\t', '\u00a0'),
  fc.constantFrom('\u0000', '\ufeff', '\u200b', '\u202e', '\ud83d', '\udc00'),
  fc.constantFrom('😀', '👍🏻', '🏠', '❤️', '👨‍👩‍👧', '🇨🇳'),
  dashLine,
  anyText(20),
)
/** Command words, numbers, mentions, quotes, blanks and arbitrary text run together. */
const chatLike = fc.array(piece, { maxLength: 16 }).map((pieces) => pieces.join(''))
/** 「name：quoted」, the dash line, the reply: a quote as WeChat writes it, its parts arbitrary. */
export const quotedText = fc
  .tuple(
    fc.oneof(fc.constant(botName), anyText(12)),
    chatLike,
    dashLine,
    chatLike,
    fc.constantFrom('\n', '\r\n'),
  )
  .map(([name, quoted, dashes, body, nl]) => `「${name}：${quoted}」${nl}${dashes}${nl}${body}`)
/** Up to 60,000 characters of one piece repeated: the parser's regular expressions must stay linear. */
const longText = fc
  .tuple(
    fc.oneof(chatLike, quotedText, fc.constantFrom(' ', '」', '「a：', '- ', '\n', 'Q1 ', '@', '\u3000')),
    fc.integer({ min: 100, max: 60_000 }),
  )
  .map(([unit, length]) => (unit === '' ? '' : unit.repeat(Math.ceil(length / unit.length)).slice(0, length)))

/** Any text a person might send: mostly chat-like, some quotes, raw unicode and very long text. */
export const chatText = fc.oneof(
  { arbitrary: chatLike, weight: 5 },
  { arbitrary: quotedText, weight: 2 },
  { arbitrary: anyText(400), weight: 2 },
  { arbitrary: longText, weight: 1 },
)
