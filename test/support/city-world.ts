import type { GaizaoProcess } from './gaizao-process'
import type { BotSaid, Gateway } from './gateway'

export type Account = 'a' | 'b'
export const accounts: readonly Account[] = ['a', 'b']

/** Two WeChat accounts, as two real ones are: their own ids and names (a mention names the one meant). */
export const cityAccounts = {
  a: {
    botId: 'wxid_city_bot_a',
    botName: '改造助手东一',
    label: '东城一号',
    tokenEnv: 'GAIZAO_ACCOUNT_A_TOKEN',
  },
  b: {
    botId: 'wxid_city_bot_b',
    botName: '改造助手东二',
    label: '东城二号',
    tokenEnv: 'GAIZAO_ACCOUNT_B_TOKEN',
  },
} as const

/** A WeChat group, in the gateway of every account sitting in it (same room id, same members). */
export interface CityGroup {
  key: string
  id: string
  topic: string
  accounts: Account[]
  xiaoquId?: number
}

/** What one of the two gateways saw a bot say, with the account that said it. */
export type Said = BotSaid & { account: Account }

/**
 * A city seen through two gateways (one per bot account). People have the same WeChat id in both (a wxid
 * is global); a group both accounts sit in exists in both gateways under one room id, and whatever someone
 * says there arrives in both, as it does in WeChat (each account with its own message id).
 */
export function cityWorld(gateways: Record<Account, Gateway>) {
  const names = new Map<string, string>()
  const contact = (account: Account, id: string) => gateways[account].person(names.get(id) ?? id, id)
  const person = (name: string, id: string) => {
    names.set(id, name)
    for (const account of accounts) contact(account, id)
    return id
  }
  const rooms = new Map<string, Partial<Record<Account, ReturnType<Gateway['room']>>>>()

  const group = (key: string, topic: string, inGroup: Account[], memberIds: string[]): CityGroup => {
    const id = `city_${key}_${Math.random().toString(36).slice(2, 8)}@chatroom`
    const made: Partial<Record<Account, ReturnType<Gateway['room']>>> = {}
    for (const account of inGroup) {
      // The other bot, when it sits here too, is a member like anyone else (its contact in this gateway).
      const otherBots = inGroup
        .filter((other) => other !== account)
        .map((other) => {
          const { botId, botName } = cityAccounts[other]
          names.set(botId, botName)
          return contact(account, botId).id
        })
      for (const member of memberIds) contact(account, member)
      made[account] = gateways[account].room(topic, [...otherBots, ...memberIds], id)
    }
    rooms.set(id, made)
    return { key, id, topic, accounts: inGroup }
  }

  /**
   * Someone speaks in a group, in every gateway of it; `mention` @-mentions that account's bot (in the
   * other account's gateway the mention names a member who is, there, just another contact).
   */
  const say = (target: CityGroup, fromId: string, text: string, mention?: Account) => {
    for (const account of target.accounts) {
      const room = rooms.get(target.id)![account]!
      const from = contact(account, fromId)
      if (mention === account) {
        gateways[account].say(from, text, { room, mention: true })
      } else if (mention) {
        const { botId, botName } = cityAccounts[mention]
        from.say(`@${botName}\u2005${text}`, [contact(account, botId)]).to(room)
      } else {
        gateways[account].say(from, text, { room })
      }
    }
  }
  /** Someone writes to one account's bot in a private chat. */
  const sayPrivately = (account: Account, fromId: string, text: string) =>
    gateways[account].say(contact(account, fromId), text)

  /** Everything both bots said, oldest first. */
  const said = (): Said[] =>
    accounts
      .flatMap((account) => gateways[account].said().map((m) => ({ ...m, account })))
      .sort((x, y) => x.at - y.at)

  const waitForSaid = async (
    what: string,
    predicate: (m: Said) => boolean,
    { after = 0, timeoutMs = 30_000 }: { after?: number; timeoutMs?: number } = {},
  ) => {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const found = said().find((m) => m.at >= after && predicate(m))
      if (found) return found
      if (Date.now() > deadline) {
        throw new Error(
          `no bot said ${what} within ${timeoutMs} ms; they said:\n${said()
            .map((m) => `  ${m.account} ${m.roomId ?? m.toId}: ${m.text.slice(0, 80)}`)
            .join('\n')}`,
        )
      }
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }

  return { person, group, say, sayPrivately, said, waitForSaid }
}

export type CityWorld = ReturnType<typeof cityWorld>

/** An API call that must succeed; its body. */
export async function must(
  gaizao: GaizaoProcess,
  method: string,
  path: string,
  body?: unknown,
  token?: string,
) {
  const res = await gaizao.api(method, path, body, token)
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${res.text}`)
  return res.body as Record<string, unknown> & { id: number }
}

/** Polls until `condition` holds; how long it took. A clear message says what never came. */
export async function until(condition: () => Promise<boolean> | boolean, what: string, timeoutMs = 30_000) {
  const start = Date.now()
  for (;;) {
    if (await condition()) return Date.now() - start
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}
