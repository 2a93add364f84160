import { describe, expect, it } from 'vitest'
import { type Command, normalizeChat, type ParseContext, parseCommand } from '../../core/chat/chat.parser'

const botName = '改造助手'
const room: ParseContext = { botName, inRoom: true, mentionsSelf: false }
const roomMentioned: ParseContext = { botName, inRoom: true, mentionsSelf: true }
const dm: ParseContext = { botName, inRoom: false, mentionsSelf: false }

type Case = [name: string, text: string, ctx: ParseContext, expected: Command]

const filing: Case[] = [
  ['@mention first', '@改造助手 3号楼2单元楼道灯坏了', room, { kind: 'file', text: '3号楼2单元楼道灯坏了' }],
  ['@mention last', '3号楼2单元楼道灯坏了 @改造助手', room, { kind: 'file', text: '3号楼2单元楼道灯坏了' }],
  ['@mention in the middle', '3号楼@改造助手 楼道灯坏了', room, { kind: 'file', text: '3号楼 楼道灯坏了' }],
  [
    'WeChat mention separator \\u2005',
    '@改造助手\u2005楼道灯坏了',
    room,
    { kind: 'file', text: '楼道灯坏了' },
  ],
  [
    'mention reported by the puppet, name not in text',
    '楼道灯坏了',
    roomMentioned,
    { kind: 'file', text: '楼道灯坏了' },
  ],
  [
    'Chinese punctuation kept as typed',
    '@改造助手 楼道灯坏了，晚上黑乎乎的！能修吗？',
    room,
    { kind: 'file', text: '楼道灯坏了，晚上黑乎乎的！能修吗？' },
  ],
  [
    'a full-width ＠ as a Chinese keyboard types it',
    '＠改造助手　５号楼３单元５０２楼上漏水',
    room,
    { kind: 'file', text: '5号楼3单元502楼上漏水' },
  ],
  ['报事 in private', '报事 小区门口路灯不亮', dm, { kind: 'file', text: '小区门口路灯不亮' }],
  ['报事 with a full-width colon', '报事：小区门口路灯不亮', dm, { kind: 'file', text: '小区门口路灯不亮' }],
  ['报事 in a room without mention', '报事 垃圾站臭气熏天', room, { kind: 'file', text: '垃圾站臭气熏天' }],
  ['#诉求', '#诉求 单元门禁坏了', room, { kind: 'file', text: '单元门禁坏了' }],
  [
    'full-width ＃ and digits',
    '＃诉求 ３号楼单元门禁坏了',
    room,
    { kind: 'file', text: '3号楼单元门禁坏了' },
  ],
  ['@mention alone: empty description', '@改造助手', room, { kind: 'file', text: '' }],
  ['@mention then command word', '@改造助手 进度 Q1024', room, { kind: 'progress', number: 'Q1024' }],
]

const queries: Case[] = [
  ['进度 Q1024', '进度 Q1024', dm, { kind: 'progress', number: 'Q1024' }],
  ['进度 1024 (no Q)', '进度 1024', dm, { kind: 'progress', number: 'Q1024' }],
  ['进度 q1024 (lower-case q)', '进度 q1024', dm, { kind: 'progress', number: 'Q1024' }],
  ['进度 with full-width Ｑ and digits', '进度 Ｑ１０２４', dm, { kind: 'progress', number: 'Q1024' }],
  ['进度 without a space', '进度Q1024', dm, { kind: 'progress', number: 'Q1024' }],
  ['进度 with a colon', '进度：Q1024', room, { kind: 'progress', number: 'Q1024' }],
  ['我的诉求', '我的诉求', dm, { kind: 'mine' }],
  ['我的诉求 in a room', '我的诉求', room, { kind: 'mine' }],
  ['同求', '同求 Q1024', room, { kind: 'support', number: 'Q1024' }],
  ['帮助', '帮助', dm, { kind: 'help' }],
  ['?', '?', dm, { kind: 'help' }],
  ['full-width ？', '？', room, { kind: 'help' }],
]

const rating: Case[] = [
  ['满意', '满意 Q1024', dm, { kind: 'rate', number: 'Q1024', rating: 'satisfied', reason: '' }],
  [
    '不满意 with reason',
    '不满意 Q1024 灯还是不亮，晚上看不见',
    dm,
    { kind: 'rate', number: 'Q1024', rating: 'unsatisfied', reason: '灯还是不亮，晚上看不见' },
  ],
  [
    '不满意 without reason (use case asks for it)',
    '不满意 Q1024',
    room,
    { kind: 'rate', number: 'Q1024', rating: 'unsatisfied', reason: '' },
  ],
]

const binding: Case[] = [
  ['绑定 <码>', '绑定 ABC234', dm, { kind: 'bind', code: 'ABC234' }],
  ['绑定 <码> with trailing words', '绑定 ABC234 谢谢', dm, { kind: 'bind', code: 'ABC234' }],
  ['绑定小区 <码>', '绑定小区 XYZ789', room, { kind: 'bindGroup', code: 'XYZ789' }],
  ['绑定小区 with full-width letters', '绑定小区 ＸＹＺ７８９', room, { kind: 'bindGroup', code: 'XYZ789' }],
]

const staffCommands: Case[] = [
  ['待办', '待办', dm, { kind: 'todo' }],
  ['受理', '受理 Q1', dm, { kind: 'accept', number: 'Q1', note: '' }],
  ['受理 with a note', '受理 Q1 下午去现场', dm, { kind: 'accept', number: 'Q1', note: '下午去现场' }],
  ['转派 Q1 姓名', '转派 Q1 王建国', dm, { kind: 'assign', number: 'Q1', target: '王建国', note: '' }],
  [
    '转派 Q1 姓名 备注',
    '转派 Q1 王建国 请今天联系居民',
    dm,
    { kind: 'assign', number: 'Q1', target: '王建国', note: '请今天联系居民' },
  ],
  [
    '办结 Q1 说明',
    '办结 Q1 已更换楼道灯，亮了',
    dm,
    { kind: 'resolve', number: 'Q1', note: '已更换楼道灯，亮了' },
  ],
  ['办结 without a note (use case asks for it)', '办结 Q1', dm, { kind: 'resolve', number: 'Q1', note: '' }],
  ['完成 T12', '完成 T12', dm, { kind: 'complete', number: 'T12', note: '' }],
  [
    '完成 t12 with a note',
    '完成 t12 已入户40户',
    dm,
    { kind: 'complete', number: 'T12', note: '已入户40户' },
  ],
  ['完成 with a full-width number', '完成 Ｔ１２', dm, { kind: 'complete', number: 'T12', note: '' }],
  [
    '完成 without a number',
    '完成',
    dm,
    { kind: 'missingArgument', command: '完成', usage: '完成 T12 完成情况' },
  ],
  ['每日汇总 开', '每日汇总 开', dm, { kind: 'digest', on: true }],
  ['每日汇总 关闭', '每日汇总 关闭', dm, { kind: 'digest', on: false }],
  [
    '每日汇总 without a choice',
    '每日汇总',
    dm,
    { kind: 'missingArgument', command: '每日汇总', usage: '每日汇总 开（或 关）' },
  ],
]

const missing: Case[] = [
  // Without a number the use case picks the resident's only candidate, or lists them.
  ['进度 alone', '进度', dm, { kind: 'progress' }],
  [
    '进度 with no number',
    '进度 楼道灯',
    dm,
    { kind: 'missingArgument', command: '进度', usage: '进度 Q1024' },
  ],
  // The group's latest request, named in the answer (core/requests/requests.commands.ts).
  ['同求 alone', '同求', room, { kind: 'support' }],
  ['满意 alone', '满意', dm, { kind: 'rate', rating: 'satisfied', reason: '' }],
  ['不满意 alone', '不满意', dm, { kind: 'rate', rating: 'unsatisfied', reason: '' }],
  [
    '不满意 with a reason, no number',
    '不满意 灯还是不亮',
    dm,
    { kind: 'rate', rating: 'unsatisfied', reason: '灯还是不亮' },
  ],
  ['不满意 chatter in a group', '不满意这个安排', room, { kind: 'ignore' }],
  ['绑定 alone', '绑定', dm, { kind: 'missingArgument', command: '绑定', usage: '绑定 绑定码' }],
  [
    '绑定小区 alone',
    '绑定小区',
    room,
    { kind: 'missingArgument', command: '绑定小区', usage: '绑定小区 绑定码' },
  ],
  ['受理 alone', '受理', dm, { kind: 'missingArgument', command: '受理', usage: '受理 Q1024' }],
  [
    '转派 without a name',
    '转派 Q1',
    dm,
    { kind: 'missingArgument', command: '转派', usage: '转派 Q1024 对象姓名' },
  ],
  ['办结 alone', '办结', dm, { kind: 'missingArgument', command: '办结', usage: '办结 Q1024 办理结果' }],
]

const others: Case[] = [
  ['unknown text in private', '今天天气怎么样', dm, { kind: 'unknown', text: '今天天气怎么样' }],
  ['plain chatter in a room without mention', '今天天气不错，大家出来晒太阳', room, { kind: 'ignore' }],
  ['another name @mentioned in a room', '@王阿姨 楼道灯坏了', room, { kind: 'ignore' }],
]

describe('parseCommand', () => {
  it.each([...filing, ...queries, ...rating, ...binding, ...staffCommands, ...missing, ...others])(
    '%s',
    (_name, text, ctx, expected) => {
      expect(parseCommand(text, ctx)).toEqual(expected)
    },
  )

  it('does not read 不满意 as 满意, nor 绑定小区 as 绑定', () => {
    expect(parseCommand('不满意 Q7 还是漏水', dm)).toMatchObject({ kind: 'rate', rating: 'unsatisfied' })
    expect(parseCommand('满意 Q7', dm)).toMatchObject({ kind: 'rate', rating: 'satisfied' })
    expect(parseCommand('绑定小区 ABC234', room).kind).toBe('bindGroup')
    expect(parseCommand('绑定 ABC234', dm).kind).toBe('bind')
  })

  it('files in a room only when mentioned, and never files unknown text in private', () => {
    expect(parseCommand('楼道灯坏了', room).kind).toBe('ignore')
    expect(parseCommand('@改造助手 楼道灯坏了', room).kind).toBe('file')
    expect(parseCommand('楼道灯坏了', dm).kind).toBe('unknown')
    expect(parseCommand('@改造助手 楼道灯坏了', dm)).toEqual({ kind: 'unknown', text: '楼道灯坏了' })
  })

  it('detects the mention of a bot with a different name, and escapes regex characters in it', () => {
    const ctx = { botName: '小区管家(测试)', inRoom: true, mentionsSelf: false }
    expect(parseCommand('@小区管家(测试) 电梯停了', ctx)).toEqual({ kind: 'file', text: '电梯停了' })
    expect(parseCommand('@改造助手 电梯停了', ctx)).toEqual({ kind: 'ignore' })
  })

  it('gives the same answer when called repeatedly (no regex state carried over)', () => {
    for (let i = 0; i < 3; i++) {
      expect(parseCommand('@改造助手 楼道灯坏了', room)).toEqual({ kind: 'file', text: '楼道灯坏了' })
    }
  })
})

describe('what residents say to the bot without a command word', () => {
  const asked: [string, string][] = [
    ['@改造助手 Q1001怎么样了', 'Q1001'],
    ['@改造助手 q1001 怎么样了？', 'Q1001'],
    ['@改造助手 请问Q1001进展如何', 'Q1001'],
    ['@改造助手 我的Q1001呢？？', 'Q1001'],
    ['@改造助手 Q1001', 'Q1001'],
    ['@改造助手 Ｑ１００１修好了吗', 'Q1001'],
    ['@改造助手 诉求Q25到哪一步了', 'Q25'],
    ['@改造助手 查进度 Q1001', 'Q1001'],
    ['@改造助手 帮我查一下Q1001的进度', 'Q1001'],
  ]
  it.each(asked)('reads "%s" as asking after %s', (text, number) => {
    expect(parseCommand(text, room)).toEqual({ kind: 'progress', number })
    expect(parseCommand(text.replace('@改造助手 ', ''), dm)).toEqual({ kind: 'progress', number })
  })

  it('still files a request that names a number with something new to say, or a flat number', () => {
    expect(parseCommand('@改造助手 Q1001 灯又坏了', room)).toEqual({ kind: 'file', text: 'Q1001 灯又坏了' })
    expect(parseCommand('@改造助手 502怎么样了', room)).toEqual({ kind: 'file', text: '502怎么样了' })
    expect(parseCommand('Q1001怎么样了', room)).toEqual({ kind: 'ignore' })
  })

  const talk: [string, 'thanks' | 'greeting' | 'ack'][] = [
    ['@改造助手 谢谢', 'thanks'],
    ['@改造助手 好的，谢谢！', 'thanks'],
    ['@改造助手 辛苦了🙏', 'thanks'],
    ['@改造助手 你好，在吗', 'greeting'],
    ['@改造助手 您好啊', 'greeting'],
    ['@改造助手 收到', 'ack'],
    ['@改造助手 嗯嗯 好的', 'ack'],
    ['@改造助手 👍👍', 'ack'],
  ]
  it.each(talk)('answers "%s" as %s, and files nothing', (text, mood) => {
    expect(parseCommand(text, room)).toEqual({ kind: 'smallTalk', mood })
    expect(parseCommand(text.replace('@改造助手 ', ''), dm)).toEqual({ kind: 'smallTalk', mood })
  })

  it('reads a rating with an adverb as the rating', () => {
    const satisfied = { kind: 'rate', rating: 'satisfied', reason: '' }
    expect(parseCommand('@改造助手 非常满意', room)).toEqual(satisfied)
    expect(parseCommand('@改造助手 太满意了！', room)).toEqual(satisfied)
    expect(parseCommand('很满意 Q1001', dm)).toEqual({ ...satisfied, number: 'Q1001' })
    expect(parseCommand('@改造助手 很不满意，灯还是不亮', room)).toEqual({
      kind: 'rate',
      rating: 'unsatisfied',
      reason: '灯还是不亮',
    })
    expect(parseCommand('不太满意 Q7 还是漏水', dm)).toMatchObject({ number: 'Q7', rating: 'unsatisfied' })
    // Said in the group to no one, it stays the group's own talk.
    expect(parseCommand('非常满意这次的施工队', room)).toEqual({ kind: 'ignore' })
    expect(parseCommand('满意了！', room)).toEqual({ kind: 'ignore' })
  })

  it('takes the name of 转派 without a 给 in front of it', () => {
    expect(parseCommand('转派 Q1002 给赵强 麻烦跟进', dm)).toEqual({
      kind: 'assign',
      number: 'Q1002',
      target: '赵强',
      note: '麻烦跟进',
    })
    expect(parseCommand('转派 Q1002 给 赵强', dm)).toMatchObject({ target: '赵强', note: '' })
  })

  it('files what only starts or ends like small talk, and reads bare question marks as asking for help', () => {
    expect(parseCommand('@改造助手 你好，3号楼楼道灯坏了', room)).toEqual({
      kind: 'file',
      text: '你好，3号楼楼道灯坏了',
    })
    expect(parseCommand('@改造助手 楼道灯坏了，谢谢', room).kind).toBe('file')
    expect(parseCommand('@改造助手 ？？', room)).toEqual({ kind: 'help' })
  })

  it('files long runs of small-talk words (the pattern is tried on short texts only)', () => {
    // "好的" is also "好" + "的": tried on 1,000 characters ending in "x", the pattern would backtrack for ages.
    for (const run of ['好的'.repeat(500), `${'好的'.repeat(500)}x`, `${'嗯'.repeat(2000)}楼`]) {
      expect(parseCommand(`@改造助手 ${run}`, room).kind).toBe('file')
    }
  })
})

describe('normalizeChat', () => {
  it('converts full-width digits, letters and ＃, turns WeChat spaces into plain ones, keeps punctuation', () => {
    expect(normalizeChat('＃诉求　３号楼\u2005ＡＢ单元，灯坏了！')).toBe('#诉求 3号楼 AB单元，灯坏了！')
    expect(normalizeChat('  进度 \u00a0 Q1 ')).toBe('进度 Q1')
  })
})

describe('group chatter that only starts like a command', () => {
  const room: ParseContext = { botName: '改造助手', inRoom: true, mentionsSelf: false }
  it.each([
    '进度太慢了',
    '满意度怎么样',
    '帮助一下老人',
    '待办事项多',
    '我的诉求没人管',
    '完成了',
    '完成得不错',
    '每日汇总 开',
  ])('ignores "%s" without a mention', (text) => {
    expect(parseCommand(text, room)).toEqual({ kind: 'ignore' })
  })
  it.each(['公告一下', '确认', '确认收到'])('treats "%s" in a group as an ordinary word', (text) => {
    expect(parseCommand(text, room)).toEqual({ kind: 'ignore' })
  })
  it('parses 公告 and 确认 in a private chat', () => {
    const dm: ParseContext = { botName: '改造助手', inRoom: false, mentionsSelf: false }
    expect(parseCommand('公告 明天停水', dm)).toEqual({ kind: 'announce', text: '明天停水' })
    expect(parseCommand('公告', dm)).toMatchObject({ kind: 'missingArgument', command: '公告' })
    expect(parseCommand('确认', dm)).toEqual({ kind: 'confirm' })
  })
  it('still explains the form when the bot is @mentioned and the rest is neither a chase nor a question', () => {
    expect(parseCommand('@改造助手 进度表发一下', room)).toMatchObject({
      kind: 'missingArgument',
      command: '进度',
    })
    // A chase said this way is one: 催办 of the resident's only open request.
    expect(parseCommand('@改造助手 进度太慢了', room)).toEqual({ kind: 'urge', text: '进度太慢了' })
  })
  it('keeps line breaks of a filed description', () => {
    expect(parseCommand('报事 3号楼：\n楼道灯坏了\n门禁也坏了', room)).toEqual({
      kind: 'file',
      text: '3号楼：\n楼道灯坏了\n门禁也坏了',
    })
  })
})

describe('a resident asking after their own requests, or how to use the bot, in their own words', () => {
  const progress: string[] = [
    '@改造助手 查询',
    '@改造助手 查进度',
    '@改造助手 进度查询',
    '@改造助手 进度怎么样了？',
    '@改造助手 查一下我的诉求',
    '@改造助手 帮我查下我的报修进度',
    '@改造助手 诉求进度查询',
    '@改造助手 我报的事怎么样了',
    '@改造助手 我前几天反映的问题有进展吗？',
  ]
  it.each(progress)('reads "%s" as 进度 without a number', (text) => {
    expect(parseCommand(text, room)).toEqual({ kind: 'progress' })
    expect(parseCommand(text.replace('@改造助手 ', ''), dm)).toEqual({ kind: 'progress' })
  })

  const urged: string[] = ['@改造助手 催办一下', '@改造助手 我报的事怎么还没人管', '@改造助手 进度太慢了吧']
  it.each(urged)('reads "%s" as 催办 without a number', (text) => {
    expect(parseCommand(text, room)).toMatchObject({ kind: 'urge' })
    expect(parseCommand(text, room)).not.toHaveProperty('number')
  })

  const help: string[] = [
    '@改造助手 怎么报修',
    '@改造助手 如何使用？',
    '@改造助手 人工客服',
    '@改造助手 转人工',
  ]
  it.each(help)('answers "%s" with 帮助', (text) => {
    expect(parseCommand(text, room)).toEqual({ kind: 'help' })
  })

  it('takes "已经修好了，谢谢" as thanks, not as a new problem', () => {
    expect(parseCommand('@改造助手 已经修好了，谢谢', room)).toEqual({ kind: 'smallTalk', mood: 'thanks' })
    expect(parseCommand('@改造助手 修好了', room)).toEqual({ kind: 'smallTalk', mood: 'ack' })
  })

  it('still files a problem that only starts like one of these', () => {
    for (const text of [
      '查下水道为什么总堵',
      '我报的是3号楼2单元的灯',
      '我提的建议是加装电梯什么时候能开始施工',
      '怎么报修都没人来，3号楼的灯坏了一个月',
      '电梯修好了又坏了',
      '人工草坪被车压坏了',
    ]) {
      expect(parseCommand(`@改造助手 ${text}`, room)).toEqual({ kind: 'file', text })
    }
  })

  it('leaves the group alone when the bot is not addressed', () => {
    for (const text of ['进度查询', '进度太慢了', '催办一下', '查询', '我报的事怎么样了']) {
      expect(parseCommand(text, room)).toEqual({ kind: 'ignore' })
    }
  })
})

describe('撤回: the author no longer needs a request', () => {
  const quoting = (number: string): ParseContext => ({ ...room, quoted: { request: number } })
  it.each([
    ['@改造助手 撤回 Q1005', 'Q1005'],
    ['撤回 Q1005', 'Q1005'],
    ['@改造助手 撤销Q1005', 'Q1005'],
    ['@改造助手 取消Q1005', 'Q1005'],
    ['@改造助手 撤回诉求Q1005', 'Q1005'],
    ['@改造助手 Q1005发错了，不用了', 'Q1005'],
    ['@改造助手 Q1005已经修好了', 'Q1005'],
  ])('reads "%s" as 撤回 of %s', (text, number) => {
    expect(parseCommand(text, room)).toMatchObject({ kind: 'withdraw', number })
  })

  it('takes the quoted request when there is no number, and still asks when it is a question', () => {
    expect(parseCommand('不用了，发错了', quoting('Q9'))).toMatchObject({ kind: 'withdraw', number: 'Q9' })
    expect(parseCommand('撤回', quoting('Q9'))).toMatchObject({ kind: 'withdraw', number: 'Q9' })
    expect(parseCommand('修好了吗', quoting('Q9'))).toEqual({ kind: 'progress', number: 'Q9' })
  })

  it('without a number, means the only open request only when nothing else is said', () => {
    expect(parseCommand('@改造助手 撤回', room)).toEqual({ kind: 'withdraw', reason: '' })
    expect(parseCommand('@改造助手 撤回刚才的诉求', room)).toEqual({ kind: 'withdraw', reason: '' })
    expect(parseCommand('@改造助手 撤销停车位收费', room)).toEqual({ kind: 'file', text: '撤销停车位收费' })
    expect(parseCommand('撤回', room)).toEqual({ kind: 'ignore' })
    expect(parseCommand('我撤回了一条消息', room)).toEqual({ kind: 'ignore' })
  })
})

describe('"+1" and online-review words, said to the bot', () => {
  it.each([
    '@改造助手 +1',
    '@改造助手 ＋1！',
    '@改造助手 我家也是',
    '@改造助手 同上',
    '@改造助手 我们楼也一样',
  ])('reads "%s" as 同求 of the group\'s latest request', (text) => {
    expect(parseCommand(text, room)).toEqual({ kind: 'support' })
  })
  it('backs the quoted request, said to the bot or not', () => {
    const quoted: ParseContext = { ...room, quoted: { request: 'Q12' } }
    expect(parseCommand('我家也是', quoted)).toEqual({ kind: 'support', number: 'Q12' })
    expect(parseCommand('@改造助手 +1', quoted)).toEqual({ kind: 'support', number: 'Q12' })
  })
  it('leaves "+1" among neighbours alone, and files a problem of its own', () => {
    expect(parseCommand('+1', room)).toEqual({ kind: 'ignore' })
    expect(parseCommand('我家也是', room)).toEqual({ kind: 'ignore' })
    expect(parseCommand('@改造助手 我家也是楼道灯不亮', room)).toEqual({
      kind: 'file',
      text: '我家也是楼道灯不亮',
    })
  })
  it('takes 好评 as 满意 and 差评 as 不满意', () => {
    const rated = (rating: string) => ({ kind: 'rate', rating, reason: '' })
    expect(parseCommand('@改造助手 五星好评', room)).toEqual(rated('satisfied'))
    expect(parseCommand('@改造助手 修得很好，谢谢', room)).toEqual(rated('satisfied'))
    expect(parseCommand('@改造助手 差评！', room)).toEqual(rated('unsatisfied'))
    expect(parseCommand('好评', room)).toEqual({ kind: 'ignore' })
  })
})

describe('saying one wants to report something, without saying what', () => {
  it.each(['@改造助手 我要投诉', '@改造助手 我想反映个问题', '@改造助手 报修', '@改造助手 我要报修'])(
    'reads "%s" as a filing with nothing in it, which is asked about rather than filed',
    (text) => {
      expect(parseCommand(text, room)).toEqual({ kind: 'file', text: '' })
    },
  )
  it('files it when it says what', () => {
    expect(parseCommand('@改造助手 我要投诉物业乱收费', room)).toEqual({
      kind: 'file',
      text: '我要投诉物业乱收费',
    })
  })
})

describe('a ballot in everyday words', () => {
  it.each([
    ['我同意', '同意'],
    ['赞成！', '同意'],
    ['同意', '同意'],
    ['不同意', '反对'],
    ['我反对', '反对'],
    ['弃权', '弃权'],
  ])('reads "%s" in a private chat as %s without a number: never a ballot by itself', (text, choice) => {
    expect(parseCommand(text, dm)).toEqual({ kind: 'vote', choice })
  })
  it('takes the number from a quoted campaign message', () => {
    const quoted: ParseContext = { ...dm, quoted: { campaign: 'Z3' } }
    expect(parseCommand('同意', quoted)).toEqual({ kind: 'vote', number: 'Z3', choice: '同意' })
    expect(parseCommand('我不同意', quoted)).toEqual({ kind: 'vote', number: 'Z3', choice: '反对' })
    expect(parseCommand('征询', quoted)).toEqual({ kind: 'campaign', number: 'Z3' })
  })
  it('leaves the group alone, and still asks for a number where one is garbled', () => {
    expect(parseCommand('同意', room)).toEqual({ kind: 'ignore' })
    expect(parseCommand('我同意', room)).toEqual({ kind: 'ignore' })
    expect(parseCommand('同意 7', dm)).toMatchObject({ kind: 'missingArgument', command: '同意' })
  })
})

describe('where one lives, said in a private chat', () => {
  it.each([
    ['我家住3号楼2单元301', '3号楼2单元301'],
    ['我是5号楼1单元101的', '5号楼1单元101'],
    ['您好，我住在农光里3号楼2单元301', '农光里3号楼2单元301'],
  ])('reads "%s" as 认证 %s', (text, address) => {
    expect(parseCommand(text, dm)).toEqual({ kind: 'claim', text: address })
  })
  it('not in a group, and not a problem that names a flat', () => {
    expect(parseCommand('@改造助手 我家住3号楼2单元301', room)).toMatchObject({ kind: 'file' })
    expect(parseCommand('我家住3号楼2单元301，厨房漏水', dm)).toMatchObject({ kind: 'unknown' })
  })
})

describe('an officer taking a request on under the bot notice', () => {
  const quoted: ParseContext = { ...room, quoted: { request: 'Q30' } }
  it.each(['我来处理', '收到，我去看看', '好的 马上处理'])(
    'reads "%s" as 受理 of the quoted request',
    (text) => {
      expect(parseCommand(text, quoted)).toEqual({ kind: 'accept', number: 'Q30', note: '', inferred: true })
    },
  )
  it('only under a quote', () => {
    expect(parseCommand('我来处理', room)).toEqual({ kind: 'ignore' })
  })
})

describe('an officer asking for their list in other words', () => {
  it.each(['我的待办', '查看任务', '今天有什么要处理的？'])('reads "%s" as 待办', (text) => {
    expect(parseCommand(text, dm)).toEqual({ kind: 'todo' })
  })
  it('still files a problem about a task', () => {
    expect(parseCommand('@改造助手 任务太多了，施工队半夜干活', room)).toMatchObject({ kind: 'file' })
  })
})

describe('a question that uses the words of 撤回 asks', () => {
  it.each(['已修好吗', 'Q9已经修好了吗？', '不用了？'])('reads "%s" as 进度', (text) => {
    const quoted: ParseContext = { ...room, quoted: { request: 'Q9' } }
    expect(parseCommand(text, quoted)).toEqual({ kind: 'progress', number: 'Q9' })
  })
})
