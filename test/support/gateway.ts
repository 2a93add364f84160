import { FileBox } from 'file-box'
import * as PUPPET from 'wechaty-puppet'
import { mock, PuppetMock } from 'wechaty-puppet-mock'
import { PuppetServer } from 'wechaty-puppet-service'

type ContactMock = ReturnType<mock.Mocker['createContact']>
type RoomMock = ReturnType<mock.Mocker['createRoom']>

/** A message the bot said, as the world saw it. */
export interface BotSaid {
  id: string
  roomId?: string
  toId?: string
  text: string
  mentionIds: string[]
  fileName?: string
  at: number
}

/**
 * A mock WeChat account that also answers what PuppetMock leaves empty: invitations and friend requests
 * have payloads and can be accepted, a room's bot membership counts, and an image message has a file.
 */
class GatewayPuppet extends PuppetMock {
  readonly invitations = new Map<string, PUPPET.payloads.RoomInvitation & { accepted: boolean }>()
  readonly friendships = new Map<string, PUPPET.payloads.Friendship & { accepted: boolean }>()
  /** Set while the gateway should refuse sends (a rate limit, a ban): the error to throw. */
  sendError: string | undefined
  /** A frozen gateway keeps its connections open but says nothing: no heartbeat, no dong, no event. */
  frozen = false
  /** The account to log back in when the puppet is started again (a real gateway keeps its session). */
  account: string | undefined

  /**
   * A client whose start fails rolls back with a `stop` call, which stops this puppet and logs it out.
   * A real puppet service restores its login session when started again; so does this one.
   */
  override async onStart() {
    await super.onStart()
    const account = this.account
    if (account && !this.isLoggedIn) setTimeout(() => this.isLoggedIn || this.login(account), 50)
  }

  override async roomInvitationRawPayload(id: string) {
    return this.invitations.get(id)
  }
  override async roomInvitationRawPayloadParser(raw: unknown) {
    return raw as PUPPET.payloads.RoomInvitation
  }
  override async roomInvitationAccept(id: string) {
    const invitation = this.invitations.get(id)
    if (invitation) invitation.accepted = true
  }
  override async friendshipRawPayload(id: string) {
    return this.friendships.get(id) ?? { id }
  }
  override async friendshipAccept(id: string) {
    const friendship = this.friendships.get(id)
    if (friendship) friendship.accepted = true
  }
  /** The photo as sent (PuppetMock answers every image with a QR code). */
  override async messageImage(messageId: string) {
    return this.messageFile(messageId)
  }
  override async messageSendText(conversationId: string, text: string, mentionIdList?: string[]) {
    if (this.sendError) throw new Error(this.sendError)
    if (
      conversationId.includes('@') &&
      !this.mocker.roomPayload(conversationId).memberIdList.includes(this.currentUserId)
    ) {
      throw new Error(`bot is not a member of ${conversationId}`)
    }
    // PuppetMock forgets the mention list; the world keeps it to check real mentions.
    this.lastMentions.set(text, mentionIdList ?? [])
    return super.messageSendText(conversationId, text)
  }
  override async messageSendFile(conversationId: string, file: FileBox) {
    if (this.sendError) throw new Error(this.sendError)
    return super.messageSendFile(conversationId, file)
  }
  readonly lastMentions = new Map<string, string[]>()
}

export interface GatewayOptions {
  port: number
  botName?: string
  botId?: string
  /** How often the gateway sends a heartbeat; real puppets do every ~15 s. */
  heartbeatMs?: number
  /** TLS with wechaty-puppet-service's built-in certificate (off by default, as in most tests). */
  tls?: boolean
  /** The token, when a test needs a particular one (a wrong prefix for TLS, say). */
  token?: string
}

/**
 * A real gRPC WeChat gateway on loopback: wechaty-puppet-service's PuppetServer serving a mock account.
 * Gaizao connects to it as to any puppet service (`WECHATY_PUPPET=wechaty-puppet-service`); the test
 * makes people talk, join, leave, invite and befriend, logs the bot out, and stops and starts the gateway.
 * TLS is off (`WECHATY_PUPPET_SERVICE_NO_TLS_INSECURE_*`); with TLS on, the token's part before its last
 * `_` must be `insecure` for the built-in certificate, so tokens here look like that too.
 */
export async function startGateway(options: GatewayOptions) {
  // The gateway's own logger warns at every reconnection; the tests read Gaizao's log, not this one.
  if (!process.env.WECHATY_LOG) PUPPET.log.level('silent')
  const botName = options.botName ?? '改造助手'
  const botId = options.botId ?? 'wxid_gateway_bot'
  const token = options.token ?? `insecure_gaizao-${Math.random().toString(36).slice(2, 10)}`
  const endpoint = `127.0.0.1:${options.port}`
  const mocker = new mock.Mocker()
  const puppet = new GatewayPuppet({ mocker })
  // PuppetMock's emit is an instance property, so freezing wraps it rather than overriding a method.
  const emit = puppet.emit.bind(puppet)
  puppet.emit = ((...args: Parameters<typeof emit>) => (puppet.frozen ? false : emit(...args))) as typeof emit
  const contacts = new Map<string, ContactMock>()
  const rooms = new Map<string, RoomMock>()
  const botSaid: BotSaid[] = []
  let counter = 0
  const nextId = (prefix: string) => `${prefix}_${Date.now().toString(36)}_${counter++}`

  const bot = mocker.createContact({ id: botId, name: botName })
  contacts.set(botId, bot)

  puppet.on('message', ({ messageId }) => {
    const payload = mocker.messagePayload(messageId)
    if (payload.talkerId !== botId) return
    const file = mocker.cacheFileBoxPayload.get(messageId) as { name?: string } | undefined
    const text = payload.text ?? ''
    botSaid.push({
      id: messageId,
      roomId: payload.roomId || undefined,
      toId: payload.roomId ? undefined : payload.listenerId,
      text,
      mentionIds: puppet.lastMentions.get(text) ?? [],
      fileName: file?.name,
      at: Date.now(),
    })
  })

  await puppet.start()
  mocker.login(bot)
  puppet.account = botId

  let server: PuppetServer | undefined
  let heartbeat: NodeJS.Timeout | undefined
  const startServer = async () => {
    if (server) return
    server = new PuppetServer({ endpoint, puppet, token, tls: { disable: !options.tls } })
    await server.start()
    // PuppetMock sends no heartbeats, and wechaty resets a connection that is silent for 60 s.
    heartbeat = setInterval(
      () => puppet.emit('heartbeat', { data: 'gateway' }),
      options.heartbeatMs ?? 15_000,
    )
  }
  const stopServer = async () => {
    clearInterval(heartbeat)
    const running = server
    server = undefined
    await running?.stop()
  }
  await startServer()

  const person = (name: string, id = nextId('wxid_p')) => {
    const existing = contacts.get(id) ?? [...contacts.values()].find((c) => c.payload.name === name)
    if (existing) return existing
    const contact = mocker.createContact({ id, name })
    contacts.set(id, contact)
    return contact
  }
  const room = (topic: string, memberIds: string[], id = `${nextId('r')}@chatroom`) => {
    const created = mocker.createRoom({ id, topic, memberIdList: [botId, ...memberIds] })
    rooms.set(id, created)
    return created
  }
  const setRoom = (target: RoomMock, change: Partial<RoomMock['payload']>) => {
    target.payload = { ...target.payload, ...change }
    mocker.roomPayload(target.id, target.payload)
  }

  return {
    token,
    endpoint,
    port: options.port,
    botId,
    botName,
    puppet,
    mocker,
    /** The env a Gaizao process needs to use this gateway. */
    env: {
      WECHATY_PUPPET: 'wechaty-puppet-service',
      WECHATY_PUPPET_SERVICE_TOKEN: token,
      WECHATY_PUPPET_SERVICE_ENDPOINT: endpoint,
      WECHATY_PUPPET_SERVICE_NO_TLS_INSECURE_CLIENT: options.tls ? 'false' : 'true',
    } as Record<string, string>,
    person,
    room,
    /** Someone speaks; `mention` @-mentions the bot by id, writing `@<mentionAs>` (its group nickname) in the text. */
    say(
      from: ContactMock,
      text: string,
      where: { room?: RoomMock; mention?: boolean; mentionAs?: string } = {},
    ) {
      if (!where.room) {
        from.say(text).to(bot)
        return
      }
      const at = where.mention ? `@${where.mentionAs ?? botName}\u2005` : ''
      from.say(`${at}${text}`, where.mention ? [bot] : []).to(where.room)
    },
    /** A resident sends a photo (PNG or JPEG bytes, by its name's extension) to a room. */
    sendImage(from: ContactMock, target: RoomMock, data: Buffer, name = 'photo.png') {
      // Base64, not a buffer box: the mock keeps the box as JSON, which a buffer box refuses.
      from.say(FileBox.fromBase64(data.toString('base64'), name)).to(target)
    },
    /** Everything the bot said so far (optionally where). */
    said(where: { room?: RoomMock; to?: ContactMock } = {}) {
      return botSaid.filter(
        (m) => (!where.room || m.roomId === where.room.id) && (!where.to || m.toId === where.to.id),
      )
    },
    async waitForSaid(
      predicate: (m: BotSaid) => boolean,
      { timeoutMs = 30_000, after = 0 }: { timeoutMs?: number; after?: number } = {},
    ) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const found = botSaid.find((m) => m.at >= after && predicate(m))
        if (found) return found
        if (Date.now() > deadline) {
          throw new Error(
            `the bot did not say it within ${timeoutMs} ms; it said:\n${botSaid.map((m) => `  ${m.roomId ?? m.toId}: ${m.text}`).join('\n')}`,
          )
        }
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
    },
    /** `inviter` invites the bot into a room it is not in yet; returns the invitation id. */
    invite(inviter: ContactMock, topic: string, memberIds: string[] = []) {
      const roomId = `${nextId('r')}@chatroom`
      const created = mocker.createRoom({ id: roomId, topic, memberIdList: [inviter.id, ...memberIds] })
      rooms.set(roomId, created)
      const id = nextId('invite')
      puppet.invitations.set(id, {
        id,
        inviterId: inviter.id,
        topic,
        memberCount: memberIds.length + 1,
        memberIdList: [inviter.id, ...memberIds],
        timestamp: Date.now(),
        receiverId: botId,
        avatar: '',
        invitation: '',
        accepted: false,
      })
      puppet.emit('room-invite', { roomInvitationId: id })
      return { id, room: created, accepted: () => puppet.invitations.get(id)?.accepted ?? false }
    },
    /** After an accepted invitation the bot is in the room, and says so to the world. */
    enterInvitedRoom(target: RoomMock, inviter: ContactMock) {
      setRoom(target, { memberIdList: [...target.payload.memberIdList, botId] })
      puppet.emit('room-join', {
        roomId: target.id,
        inviteeIdList: [botId],
        inviterId: inviter.id,
        timestamp: Date.now(),
      })
    },
    friendRequest(from: ContactMock, hello: string) {
      const id = nextId('friend')
      puppet.friendships.set(id, {
        id,
        contactId: from.id,
        hello,
        type: PUPPET.types.Friendship.Receive,
        timestamp: Date.now(),
        accepted: false,
      } as never)
      puppet.emit('friendship', { friendshipId: id })
      return { id, accepted: () => puppet.friendships.get(id)?.accepted ?? false }
    },
    join(target: RoomMock, members: ContactMock[], inviter: ContactMock) {
      setRoom(target, { memberIdList: [...target.payload.memberIdList, ...members.map((m) => m.id)] })
      puppet.emit('room-join', {
        roomId: target.id,
        inviteeIdList: members.map((m) => m.id),
        inviterId: inviter.id,
        timestamp: Date.now(),
      })
    },
    leave(target: RoomMock, members: ContactMock[], remover: ContactMock) {
      const gone = new Set(members.map((m) => m.id))
      setRoom(target, { memberIdList: target.payload.memberIdList.filter((id) => !gone.has(id)) })
      puppet.emit('room-leave', {
        roomId: target.id,
        removeeIdList: [...gone],
        removerId: remover.id,
        timestamp: Date.now(),
      })
    },
    /** The bot is removed from a room by its owner. */
    removeBot(target: RoomMock, remover: ContactMock) {
      setRoom(target, { memberIdList: target.payload.memberIdList.filter((id) => id !== botId) })
      puppet.emit('room-leave', {
        roomId: target.id,
        removeeIdList: [botId],
        removerId: remover.id,
        timestamp: Date.now(),
      })
    },
    rename(target: RoomMock, topic: string, changer: ContactMock) {
      const oldTopic = target.payload.topic
      setRoom(target, { topic })
      puppet.emit('room-topic', {
        roomId: target.id,
        newTopic: topic,
        oldTopic,
        changerId: changer.id,
        timestamp: Date.now(),
      })
    },
    /** The account logs out (and stays out, even across restarts, until `login`). */
    async logout() {
      puppet.account = undefined
      await puppet.logout('logged out by the test')
    },
    login() {
      puppet.account = botId
      mocker.login(bot)
    },
    /** The gateway hangs (a stuck process, a dead network path): connections stay open, nothing comes. */
    freeze() {
      puppet.frozen = true
    },
    thaw() {
      puppet.frozen = false
    },
    /** Stops the gateway itself (the account stays logged in behind it). */
    stop: stopServer,
    start: startServer,
    async close() {
      await stopServer()
      await puppet.stop().catch(() => {})
    },
  }
}

export type Gateway = Awaited<ReturnType<typeof startGateway>>
