/** What a chat message asks for. Pure: no database, no WeChat. */
export type Command =
  | { kind: 'file'; text: string }
  /** No number: the resident's only open request, or a list to pick from. */
  | { kind: 'progress'; number?: string }
  /** 催办: a resident chasing a request (no number: their only open one), in their own words. */
  | { kind: 'urge'; number?: string; text: string }
  | { kind: 'mine' }
  /** 撤回: the author no longer needs the request (no number: their only open one); its holder decides. */
  | { kind: 'withdraw'; number?: string; reason: string }
  /** No number: the latest request another resident filed in this group, when there is one. */
  | { kind: 'support'; number?: string }
  /** No number: the resident's only resolved, unrated request, or a list to pick from. */
  | { kind: 'rate'; number?: string; rating: 'satisfied' | 'unsatisfied'; reason: string }
  | { kind: 'help' }
  | { kind: 'bind'; code: string }
  | { kind: 'bindGroup'; code: string }
  | { kind: 'todo' }
  | { kind: 'complete'; number: string; note: string }
  | { kind: 'digest'; on: boolean }
  | { kind: 'claim'; text: string }
  /** No number: never a ballot, only the answer naming the campaigns the resident may vote in. */
  | { kind: 'vote'; number?: string; choice: '同意' | '反对' | '弃权' }
  | { kind: 'campaign'; number: string }
  /** `inferred`: read from everyday words under the bot's message ("我来处理"); from anyone but staff, silence. */
  | { kind: 'accept'; number: string; note: string; inferred?: true }
  | { kind: 'assign'; number: string; target: string; note: string }
  | { kind: 'resolve'; number: string; note: string }
  | { kind: 'announce'; text: string }
  | { kind: 'confirm' }
  | { kind: 'feedback'; number: string; text: string }
  | { kind: 'missingArgument'; command: string; usage: string }
  | { kind: 'unknown'; text: string }
  /** Thanks, a greeting or a plain "好的" said to the bot: answered, never filed as a request. */
  | { kind: 'smallTalk'; mood: 'thanks' | 'greeting' | 'ack' }
  | { kind: 'ignore' }

export interface ParseContext {
  botName: string
  inRoom: boolean
  /** The puppet said the bot was @mentioned (real puppets); the mock only keeps the `@Name` text. */
  mentionsSelf: boolean
  /**
   * Numbers in a quoted bot message (引用): a command word under such a quote is addressed to the bot, and
   * its missing number is the quoted one.
   */
  quoted?: QuotedNumbers
}

export interface QuotedNumbers {
  request?: string
  publicity?: string
  campaign?: string
}

const usage: Record<string, string> = {
  进度: '进度 Q1024',
  催办: '催办 Q1024',
  撤回: '撤回 Q1024',
  同求: '同求 Q1024',
  满意: '满意 Q1024',
  不满意: '不满意 Q1024 原因',
  绑定: '绑定 绑定码',
  绑定小区: '绑定小区 绑定码',
  受理: '受理 Q1024',
  转派: '转派 Q1024 对象姓名',
  办结: '办结 Q1024 办理结果',
  公告: '公告 明天上午9点小区停水，请提前储水',
  意见: '意见 G12 您的意见',
  完成: '完成 T12 完成情况',
  每日汇总: '每日汇总 开（或 关）',
  认证: '认证 3号楼2单元301',
  同意: '同意 Z7',
  反对: '反对 Z7',
  弃权: '弃权 Z7',
  征询: '征询 Z7',
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/**
 * Full-width letters, digits, '#', '@' and spaces as people type them on phones → plain ones; punctuation
 * and line breaks stay as typed.
 */
export function normalizeChat(text: string) {
  return text
    .replace(/[\uff03\uff10-\uff19\uff20-\uff3a\uff41-\uff5a]/g, (c) =>
      String.fromCharCode(c.charCodeAt(0) - 0xfee0),
    )
    .replace(/[\u3000\u2005\u00a0\t]/g, ' ')
    .replace(/ {2,}/g, ' ')
    .replace(/ *\r?\n */g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim()
}

// Longest first, so 不满意 wins over 满意 and 绑定小区 over 绑定.
export const commandWords = [
  '每日汇总',
  '绑定小区',
  '我的诉求',
  '不满意',
  '#诉求',
  '报事',
  '进度',
  '催办',
  '撤回',
  '撤销',
  '同求',
  '满意',
  '帮助',
  '绑定',
  '待办',
  '受理',
  '转派',
  '办结',
  '公告',
  '确认',
  '意见',
  '完成',
  '认证',
  '同意',
  '反对',
  '弃权',
  '征询',
]

const numberPattern = /^([qQ]?\d{1,9})(?:\s+|$)([\s\S]*)$/

/**
 * A request's number asked after without the command word, as residents write it: "Q1001怎么样了",
 * "请问Q1001进展如何", "查进度Q1001", "Q1001呢", or the number alone. The number needs its Q here (a bare
 * 502 is a flat), and what follows it must be one of these questions, so "Q1001 灯又坏了" is still a new
 * request.
 */
const askedAfter =
  /^(?:请问|问一下|问下|麻烦问下|帮我查一下|帮我查下|帮我查|查一下|查下|查询|查|看一下|看下|我的|我那个)?(?:诉求|编号|进度|进展)?[qQ](\d{1,9})(?:号|的|这个|那个)?(?:诉求)?(?:怎么样了?|咋样了?|如何了?|进展如何|进展怎么样了?|有进展吗|进度如何|进度怎么样了?|进展|进度|到哪了|到哪一步了|处理了吗|处理得怎么样了?|处理好了吗|办了吗|办好了吗|修了吗|修好了吗|解决了吗|有结果了吗|有人管吗|什么情况|呢)?(?:啊|呀|呢)?$/

// Said to the bot in passing, alone or together ("你好，在吗", "好的，谢谢！"): matched on the text without
// punctuation, symbols (emoji) or blanks, and only when short: words that run into each other ("好的" is also
// "好" and "的") give the pattern several ways to read a text, so its length is bounded before it is tried.
// Thanks outweigh a greeting, which outweighs a plain "好的".
const smallTalkWords = {
  thanks:
    '谢谢|谢谢你|谢谢您|谢谢啦|谢啦|谢了|多谢|感谢|感谢你|感谢您|非常感谢|太感谢了|辛苦了|辛苦啦|辛苦|麻烦了|麻烦你了|麻烦您了|thanks|thankyou|thx',
  greeting: '你好|您好|大家好|在吗|在不在|在么|在嘛|hello|hi|哈喽|嗨|早上好|上午好|中午好|下午好|晚上好|早',
  // "已经修好了" said to the bot is news, not a new problem.
  ack: '已经修好了|已修好|修好了|已经好了|弄好了|已经解决了|已解决|解决了|搞定了|好的|好滴|好吧|好嘞|好|嗯|哦|噢|收到|知道了|明白了|明白|了解|okay|ok|行的|行|可以|没问题|还不错|不错|还行|还可以|挺好|很好|太好了|真好|点赞|赞',
}
const smallTalkOnly = new RegExp(
  `^(?:${Object.values(smallTalkWords).join('|')}|啊|呀|哈|啦|的|了|呢)+$`,
  'i',
)
const thanksWord = new RegExp(smallTalkWords.thanks, 'i')
const greetingWord = new RegExp(smallTalkWords.greeting, 'i')
const chatter = /[\p{P}\p{S}\p{Z}\p{Cf}\s]/gu

// An adverb in front of 满意: dropped, and a negative one read as 不满意.
const rated =
  /^(?:非常|很|挺|蛮|比较|特别|十分|超级|相当|还算|还是很|太)?(不太|不是很|不是太|很不|非常不|特别不|太不|不)?(?=满意)/

// A resident chasing a request in their own words ("怎么还没人来修", "什么时候能修好", "都三天了", "催一下"):
// 催办. Tried only on a short text about one known request: one under a quoted bot message naming it, or
// one that starts with its number ("Q1001怎么还没人管"), so a new problem ("Q1001 灯又坏了") is still filed.
const urgeWords =
  /怎么还|咋还|为啥还|为什么还|还没|还不(?:来|修|管|处理|解决|弄|见|给)|还是没|一直没|一直不|迟迟|什么时候|啥时候|几时|多久|多长时间|催|快点|快些|赶紧|赶快|尽快|抓紧|到底|没人管|没人来|没人理|没人修|没人处理|没人回|有人管吗|有没有人管|管不管|等了|好几天|这么久|这么慢|太慢|[一二两三四五六七八九十几\d]+(?:天|周|个星期|个礼拜|个月)了/
// Asking where a quoted request stands ("怎么样了", "有进展吗"): 进度.
const progressWords =
  /怎么样|咋样|如何|进展|进度|到哪|处理了吗|修了吗|修好了吗|办了吗|办好了吗|解决了吗|有结果|什么情况|啥情况|有回复吗|有消息吗|有人管吗/
const maxFollowUp = 40
// What may follow 进度 or 催办 when no number is given ("进度查询", "催办一下").
const progressFiller = /^(?:查询|查看|查一下|查下|一下|怎么样了?|咋样了?|如何了?|情况|呢|啊|呀)$/
const urgeFiller = /^(?:一下|一下吧|下|吧|啊|呀|了)$/
const numberFirst =
  /^(?:请问|问一下|问下|麻烦|帮我|我的|我那个)?(?:诉求|编号)?[qQ](\d{1,9})(?:号|的|这个|那个)?(?:诉求)?(.+)$/

/**
 * A follow-up on one request: 催办 or 进度 for `number` when the text (without punctuation or emoji) chases
 * or asks after it; undefined for anything else, a new problem included. Without a number, it is about the
 * resident's only open request, or the list to pick from.
 */
function followUp(bare: string, said: string, number?: string): Command | undefined {
  if (bare.length > maxFollowUp) return undefined
  if (urgeWords.test(bare))
    return number ? { kind: 'urge', number, text: said } : { kind: 'urge', text: said }
  if (progressWords.test(bare)) return number ? { kind: 'progress', number } : { kind: 'progress' }
  // "已修好吗？" asks; "已修好" says so.
  if (number && withdrawWords.test(bare))
    return asks(said) ? { kind: 'progress', number } : { kind: 'withdraw', number, reason: said }
  if (number && supportOnly.test(supportForm(said))) return { kind: 'support', number }
  if (number && takeOn.test(bare)) return { kind: 'accept', number, note: '', inferred: true }
  return undefined
}

// An officer taking a request on, under the bot's notice of it ("我来处理", "收到，我去看看"): 受理.
const takeOn =
  /^(?:收到|好的|好)?(?:我来处理|我来办|我去处理|我来跟进|我跟进|我负责|我去看看|我去现场|我这就去|马上处理|马上去处理|这就去处理|已安排|我来安排|我安排)(?:一下|下)?(?:吧|了)?$/

// The author saying a known request is no longer needed ("Q1005发错了", "不用了" under the bot's reply):
// 撤回. Tried after a chase and a question, so "修好了吗" still asks.
const withdrawWords =
  /不用了|不需要了|不用修了|不用处理了|不用管了|不用来了|发错了|报错了|写错了|重复了|撤回|撤销|取消|作废|已经修好了|已修好|自己修好了|已经好了|已经解决了|已解决/
/** A question, by its mark or its closing particle ("已修好吗", "不用了？"). */
const asks = (said: string) => /[?？]|[吗呢嘛][\s。.!！~～]*$/.test(said)
const withdrawFirst =
  /^(?:取消|撤回|撤销|作废)(?:诉求|编号)?[qQ](\d{1,9})(?:号|的|这个|那个)?(?:诉求)?(.{0,20})$/
// "+1", "我家也是", "同上" said to the bot, or under its reply: 同求 of that request (no number: the group's
// latest). Whole texts only, so "我家也是楼道灯不亮" is still a request of its own.
const supportOnly =
  /^(?:\+\s*1|\+{1,3}|加一|加1|同上|同求|附议|顶|顶一下|我家也是|我家也一样|我们家也是|我们家也一样|我们楼也是|我们楼也一样|我们单元也是|我这也是|我这里也是|我这边也是|我们这也是|我们这边也是|我也是|我也一样|我也遇到了|我也遇到同样的问题|同样的问题|一样的问题|一样)(?:的|啊|呀|了|呢|\+1)?$/
// Saying one wants to report something, without saying what ("我要投诉", "我想反映个问题"): asked what,
// as a bare @mention is, rather than filed empty-handed.
const intentOnly =
  /^(?:你好|您好)?(?:我|我们)?(?:要|想|想要|需要|准备)?(?:投诉|反映|反应|报修|报事|举报|提|提个|提一个)(?:一下|个|一个|下)?(?:问题|事|事情|情况|诉求|意见)?(?:可以吗|行吗|找谁)?$/

// Where one lives, said in a private chat ("我家住3号楼2单元301", "我是5号楼1单元101的"): 认证 of that home,
// which an officer then verifies. The address must end the text, so a problem that names a flat is not one.
const livesAt =
  /^(?:你好|您好)?[，,]?(?:我家|我|本人)?(?:住|住在|家住|是)(?:在)?([^，。,.!！?？]{0,16}?\d+(?:号楼|号|栋|幢)(?:\d+单元)?\d+(?:室|号)?)(?:的|的业主|的住户)?$/

// An officer asking for their list in other words ("我的待办", "查看任务", "今天有什么要处理的"): 待办.
const todoWords =
  /^(?:我的|查看|查一下|看看|看下|列出)?(?:待办|待办事项|待办任务|任务|任务列表|待处理|待办清单)(?:列表|清单)?$|^(?:今天|现在|我)?有(?:什么|啥|哪些)(?:要|需要|待)(?:处理|办)的?(?:吗|呢)?$/

/** A text as `supportOnly` reads it: without blanks and punctuation, "＋" as "+" ("+1！" is "+1"). */
const supportForm = (text: string) => text.replace(/[\s\p{P}]/gu, '').replace(/\uff0b/g, '+')
// A ballot in everyday words ("我同意", "赞成", "不同意"): with no campaign quoted, only answered with the
// campaigns the resident may vote in; a ballot always names its campaign.
const voteWords =
  /^(?:我|本人|我家)?(?:(同意|赞成|支持|拥护)|(不同意|反对|不赞成|不支持))(?:的|了|啊|呀)?$|^(?:我|本人|我家)?弃权(?:了)?$/
// A rating in the words of an online review: 好评 is 满意, 差评 is 不满意 (which then asks why).
const praise =
  /^(?:给个|给|五星|五颗星|满分)?好评(?:啊|呀|了)?$|^修得(?:很|挺|非常|真|特别)?(?:好|不错)(?:谢谢|谢谢了|谢谢啦|感谢)?$/
const complaint = /^(?:给个|给|一星)?差评(?:啊|呀|了)?$/

// What may follow 撤回 without a number: the resident's only open request.
const withdrawFiller = /^(?:刚才|刚刚|上一|上|这|那)?(?:的|条|个)?(?:诉求|报修|消息)?(?:吧|了|一下)?$/

// A resident asking after their own requests without a number, as people do: "查询", "查进度", "进度查询",
// "查一下我的诉求", "我报的事怎么样了", "我反映的问题怎么还没人管". Whole texts only (without punctuation):
// "我报的事" must be followed by a chase or a question, so "我报的是3号楼" is still filed.
const ownQuery =
  /^(?:请问|麻烦|帮我|帮忙)?(?:查询|查看|查一下|查下|查|看一下|看下|看看)(?:一下)?(?:我的)?(?:诉求|报修|问题|事情|工单)?(?:的)?(?:进度|进展|办理进度|处理进度|处理情况|办理情况|结果|处理结果)?$|^(?:我的)?(?:诉求|报修)?(?:进度|进展)(?:查询|查看)$/
const ownSubject =
  /^(?:请问|问一下|问下|麻烦问下)?我(?:之前|刚才|刚刚|上次|昨天|前天|前几天|前两天|上周)?(?:报|提|提交|反映|反应|报修|投诉|登记|说)(?:的|过的)(?:诉求|事情|事|问题|那个事|那件事|那个问题|那个)?(.{1,12})$/
// What a resident asks when they want to know how to use the bot, or want a person: answered with 帮助.
const howTo =
  /^(?:请问)?(?:怎么|如何|怎样|咋)(?:报修|报事|提交诉求|提诉求|提交|反映问题|反映|反应问题|投诉|用|使用|操作|查进度|查询进度|查询|评价|催办)(?:啊|呀|呢)?$|^(?:人工|人工客服|转人工|找人工|要人工|客服|真人|你能干什么|你能做什么|你会什么|你是谁|有什么功能|功能|菜单|使用说明|说明|用法|怎么用)(?:啊|呀|呢|吗)?$/

/** What a message with no command word is, when it is said to the bot. */
function freeText(text: string, quoted?: QuotedNumbers): Command | undefined {
  const bare = text.replace(chatter, '')
  // Only emoji or punctuation ("👍", "？？"): a question mark asks what the bot can do; the rest is a nod.
  if (bare === '' && text !== '')
    return /[?？]/.test(text) ? { kind: 'help' } : { kind: 'smallTalk', mood: 'ack' }
  const asked = askedAfter.exec(bare)
  if (asked) return { kind: 'progress', number: `Q${asked[1]}` }
  if (ownQuery.test(bare)) return { kind: 'progress' }
  const own = ownSubject.exec(bare)
  if (own) {
    const followed = followUp(own[1]!, text)
    if (followed) return followed
  }
  if (howTo.test(bare)) return { kind: 'help' }
  if (todoWords.test(bare)) return { kind: 'todo' }
  // An empty filing: refused with the question what and where, as a bare @mention is.
  if (intentOnly.test(bare)) return { kind: 'file', text: '' }
  if (supportOnly.test(supportForm(text))) {
    return quoted?.request ? { kind: 'support', number: quoted.request } : { kind: 'support' }
  }
  const voted = voteWords.exec(bare)
  if (voted) {
    const choice = voted[1] ? '同意' : voted[2] ? '反对' : '弃权'
    return quoted?.campaign ? { kind: 'vote', number: quoted.campaign, choice } : { kind: 'vote', choice }
  }
  if (praise.test(bare)) return { kind: 'rate', rating: 'satisfied', reason: '' }
  if (complaint.test(bare)) return { kind: 'rate', rating: 'unsatisfied', reason: '' }
  const numbered = numberFirst.exec(bare)
  if (numbered && urgeWords.test(numbered[2]!) && bare.length <= maxFollowUp)
    return { kind: 'urge', number: `Q${numbered[1]}`, text }
  if (numbered && withdrawWords.test(numbered[2]!) && bare.length <= maxFollowUp) {
    const number = `Q${numbered[1]}`
    return asks(text) ? { kind: 'progress', number } : { kind: 'withdraw', number, reason: text }
  }
  const withdrawn = withdrawFirst.exec(bare)
  if (withdrawn) return { kind: 'withdraw', number: `Q${withdrawn[1]}`, reason: text }
  if (quoted?.request) {
    const followed = followUp(bare, text, quoted.request)
    if (followed) return followed
  }
  if (bare.length > 16 || !smallTalkOnly.test(bare)) return undefined
  const mood = thanksWord.test(bare) ? 'thanks' : greetingWord.test(bare) ? 'greeting' : 'ack'
  return { kind: 'smallTalk', mood }
}

export function parseCommand(raw: string, ctx: ParseContext): Command {
  // "＠改造助手" as a Chinese keyboard types it is the same mention.
  const mentionPattern = new RegExp(`[@\uff20]${escapeRegExp(ctx.botName)}`, 'g')
  const mentioned = ctx.mentionsSelf || mentionPattern.test(raw)
  const said = normalizeChat(raw.replace(mentionPattern, ' '))
  // "非常满意" and "很不满意，灯还是不亮" said to the bot are ratings like 满意 and 不满意.
  const text =
    ctx.inRoom && !mentioned && !ctx.quoted ? said : said.replace(rated, (_m, not) => (not ? '不' : ''))
  const word = commandWords.find((w) => text.startsWith(w))
  const withoutCommand = (): Command => {
    if (text === '?' || text === '？') return { kind: 'help' }
    if (ctx.inRoom && !mentioned) {
      // Quoting the bot's message about a request is speaking to it, but only a follow-up on that request
      // is answered: anything else said under the quote is the group's own talk.
      const followed = ctx.quoted?.request
        ? followUp(text.replace(chatter, ''), text, ctx.quoted.request)
        : undefined
      return followed ?? { kind: 'ignore' }
    }
    const home = ctx.inRoom ? null : livesAt.exec(text.replace(/\s/g, ''))
    if (home) return { kind: 'claim', text: home[1]! }
    const free = freeText(text, ctx.quoted)
    if (free) return free
    if (ctx.inRoom) return { kind: 'file', text }
    return { kind: 'unknown', text }
  }
  if (!word) return withoutCommand()
  const rest = text
    .slice(word.length)
    .replace(/^[:：,，\s]+/, '')
    .trim()
  // In a group, chatter that merely starts like a command ("进度太慢了", "帮助一下老人") is not for the bot
  // unless it is @mentioned; in a private chat, or when mentioned, the bot explains the right form.
  const quiet = ctx.inRoom && !mentioned && !ctx.quoted
  if (quiet && ['我的诉求', '帮助', '待办'].includes(word) && rest !== '') return { kind: 'ignore' }
  // 公告 and 确认 are private-chat commands; in a group they are ordinary words.
  if (quiet && (word === '公告' || word === '确认' || word === '每日汇总')) return { kind: 'ignore' }
  const withNumber = (make: (number: string, tail: string) => Command): Command => {
    const match = numberPattern.exec(rest)
    if (!match && ctx.quoted?.request) return make(ctx.quoted.request, rest)
    if (!match) {
      return quiet && rest !== ''
        ? { kind: 'ignore' }
        : { kind: 'missingArgument', command: word, usage: usage[word] ?? word }
    }
    const number = `Q${match[1]!.replace(/^[qQ]/, '')}`
    return make(number, (match[2] ?? '').trim())
  }
  switch (word) {
    case '报事':
    case '#诉求':
      return { kind: 'file', text: rest }
    case '我的诉求':
      return { kind: 'mine' }
    case '帮助':
      return { kind: 'help' }
    case '待办':
      return { kind: 'todo' }
    case '进度':
      // "进度查询", "进度怎么样了": no number, said to the bot.
      if ((rest === '' || (!quiet && progressFiller.test(rest.replace(chatter, '')))) && !ctx.quoted?.request)
        return { kind: 'progress' }
      // "进度太慢了", "进度怎么样了" said to the bot: a chase or a question about their own request.
      if (!quiet && !ctx.quoted?.request && !numberPattern.test(rest)) {
        const followed = followUp(rest.replace(chatter, ''), text)
        if (followed) return followed
      }
      return withNumber((number) => ({ kind: 'progress', number }))
    case '催办':
      if ((rest === '' || (!quiet && urgeFiller.test(rest.replace(chatter, '')))) && !ctx.quoted?.request)
        return { kind: 'urge', text: '' }
      return withNumber((number, tail) => ({ kind: 'urge', number, text: tail }))
    case '撤回':
    case '撤销': {
      // "撤销停车收费" is a request: without a number, only "撤回" alone (or "撤回刚才的诉求") is one.
      const match = numberPattern.exec(rest)
      if (match) {
        const number = `Q${match[1]!.replace(/^[qQ]/, '')}`
        return { kind: 'withdraw', number, reason: (match[2] ?? '').trim() }
      }
      if (ctx.quoted?.request) return { kind: 'withdraw', number: ctx.quoted.request, reason: rest }
      if (quiet) return { kind: 'ignore' }
      if (withdrawFiller.test(rest.replace(chatter, ''))) return { kind: 'withdraw', reason: '' }
      return withoutCommand()
    }
    case '同求':
      // "同求" alone: the request under the quote, or the group's latest.
      if (rest === '' && !ctx.quoted?.request) return { kind: 'support' }
      return withNumber((number) => ({ kind: 'support', number }))
    case '满意':
      // "满意了！", "太满意啦" said to the bot: what follows is no number, only the tone.
      if ((rest === '' || (!quiet && /^[了啦呀啊的!！。.~～]+$/.test(rest))) && !ctx.quoted?.request)
        return { kind: 'rate', rating: 'satisfied', reason: '' }
      return withNumber((number) => ({ kind: 'rate', number, rating: 'satisfied', reason: '' }))
    case '不满意':
      // "不满意 灯还是不亮": the reason without a number, when it is clearly said to the bot.
      if (!quiet && !ctx.quoted?.request && !numberPattern.test(rest))
        return { kind: 'rate', rating: 'unsatisfied', reason: rest }
      return withNumber((number, reason) => ({ kind: 'rate', number, rating: 'unsatisfied', reason }))
    case '受理':
      return withNumber((number, note) => ({ kind: 'accept', number, note }))
    case '办结':
      return withNumber((number, note) => ({ kind: 'resolve', number, note }))
    case '转派':
      return withNumber((number, tail) => {
        // The name ends at any blank, a line break too ("转派 Q1 王建国\n请今天联系").
        // "转派 Q1 给王建国": the 给 (or 至, 到) is not part of the name.
        const [, target = '', note = ''] = /^(?:给|至|到)?\s*(\S*)\s*([\s\S]*)$/.exec(tail) ?? []
        if (!target) return { kind: 'missingArgument', command: word, usage: usage[word]! }
        return { kind: 'assign', number, target, note }
      })
    case '公告':
      return rest
        ? { kind: 'announce', text: rest }
        : { kind: 'missingArgument', command: word, usage: usage[word]! }
    case '确认':
      return { kind: 'confirm' }
    case '意见': {
      const match = /^([gG]\d{1,9})(?:\s+|$)([\s\S]*)$/.exec(rest)
      if (!match && ctx.quoted?.publicity && rest !== '')
        return { kind: 'feedback', number: ctx.quoted.publicity, text: rest }
      if (!match)
        return quiet && rest !== ''
          ? { kind: 'ignore' }
          : { kind: 'missingArgument', command: word, usage: usage[word]! }
      return { kind: 'feedback', number: match[1]!.toUpperCase(), text: (match[2] ?? '').trim() }
    }
    case '完成': {
      const match = /^([tT]\d{1,9})(?:\s+|$)([\s\S]*)$/.exec(rest)
      if (!match)
        return quiet ? { kind: 'ignore' } : { kind: 'missingArgument', command: word, usage: usage[word]! }
      return { kind: 'complete', number: match[1]!.toUpperCase(), note: (match[2] ?? '').trim() }
    }
    case '认证':
      if (quiet) return { kind: 'ignore' }
      return rest
        ? { kind: 'claim', text: rest }
        : { kind: 'missingArgument', command: word, usage: usage[word]! }
    case '同意':
    case '反对':
    case '弃权':
    case '征询': {
      const match = /^([zZ]\d{1,9})$/.exec(rest)
      const quotedCampaign = ctx.quoted?.campaign
      if (!match && quotedCampaign && /^[的了啊呀！!。.~～]*$/.test(rest))
        return word === '征询'
          ? { kind: 'campaign', number: quotedCampaign }
          : { kind: 'vote', number: quotedCampaign, choice: word }
      // "同意" alone: the answer names the campaigns the resident may vote in, with the exact words.
      if (!match && !quiet && word !== '征询' && /^[的了啊呀！!。.~～]*$/.test(rest))
        return { kind: 'vote', choice: word }
      if (!match)
        return quiet ? { kind: 'ignore' } : { kind: 'missingArgument', command: word, usage: usage[word]! }
      const number = match[1]!.toUpperCase()
      return word === '征询' ? { kind: 'campaign', number } : { kind: 'vote', number, choice: word }
    }
    case '每日汇总':
      if (/^(开|开启|打开|是)$/.test(rest)) return { kind: 'digest', on: true }
      if (/^(关|关闭|否)$/.test(rest)) return { kind: 'digest', on: false }
      return { kind: 'missingArgument', command: word, usage: usage[word]! }
    case '绑定':
    case '绑定小区':
      return rest
        ? { kind: word === '绑定' ? 'bind' : 'bindGroup', code: rest.split(/\s/)[0]! }
        : { kind: 'missingArgument', command: word, usage: usage[word]! }
    default:
      return { kind: 'unknown', text }
  }
}

/** A quoted message (引用) as WeChat writes it into the text: 「name：quoted」, a dash line, the reply. */
export interface ParsedQuote {
  quote?: { name: string; text: string }
  body: string
}

// The dash line is 15 or 16 "-" separated by spaces, depending on the client; accept a few more or less.
const quotePattern =
  /^\s*「([^：:」\n]{1,80})[：:]([\s\S]*)」[ \t]*\r?\n[ \t]*(?:-[ \t]*){10,24}\r?\n([\s\S]*)$/

export function parseQuote(text: string): ParsedQuote {
  const match = quotePattern.exec(text)
  if (!match) return { body: text }
  return { quote: { name: match[1]!.trim(), text: match[2]!.trim() }, body: match[3]!.trim() }
}

/** The one request (Q…) and one publicity (G…) number a quoted bot message names; several name none. */
export function quotedNumbers(quoted: string): QuotedNumbers {
  const only = (pattern: RegExp) => {
    const found = new Set(Array.from(normalizeChat(quoted).matchAll(pattern), (m) => m[1]!.toUpperCase()))
    return found.size === 1 ? [...found][0] : undefined
  }
  return {
    request: only(/(?<![A-Za-z])([Qq]\d{1,9})(?!\d)/g),
    publicity: only(/(?<![A-Za-z])([Gg]\d{1,9})(?!\d)/g),
    campaign: only(/(?<![A-Za-z])([Zz]\d{1,9})(?!\d)/g),
  }
}

/**
 * The text of a message that @mentions the bot, without that mention. Wechaty strips the mentions it can
 * name; a group nickname it does not know stays as a leading `@…` up to U+2005 or a space.
 */
export function withoutLeadingMention(text: string, mentionsSelf: boolean) {
  if (!mentionsSelf) return text
  return text.replace(/^\s*@[^\u2005\s]*(?:[\u2005\s]+|$)/, '')
}
