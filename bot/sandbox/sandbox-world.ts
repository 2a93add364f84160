import { mock, PuppetMock } from 'wechaty-puppet-mock'
import {
  demoOfficersRoom,
  demoResidents,
  demoStaff,
  demoUnboundRoom,
  demoXiaoqu,
} from '../../core/demo/demo.data'
import { createTranscript, type Transcript } from './transcript'

type ContactMock = ReturnType<mock.Mocker['createContact']>
type RoomMock = ReturnType<mock.Mocker['createRoom']>

export const sandboxBotId = 'wxid_gaizao_bot'

/**
 * The simulated WeChat of the sandbox: a mock puppet with the demo community's people and groups.
 * People type through `say`; everything said (the bot's answers too) lands in the transcript.
 */
export interface SandboxWorld {
  puppet: PuppetMock
  mocker: mock.Mocker
  transcript: Transcript
  botId: string
  botName: string
  login(): void
  rooms(): { id: string; topic: string }[]
  contacts(): { id: string; name: string }[]
  findRoom(idOrTopic: string): RoomMock | undefined
  findContact(idOrName: string): ContactMock | undefined
  /** Finds or creates a person (a newcomer may type as anyone) and has them speak. */
  say(input: { from: string; text: string; room?: string; mentionBot?: boolean }): {
    roomId?: string
    fromId: string
  }
}

export function createSandboxWorld(botName: string): SandboxWorld {
  const mocker = new mock.Mocker()
  const puppet = new PuppetMock({ mocker })
  const contacts = new Map<string, ContactMock>()
  const rooms = new Map<string, RoomMock>()
  const addContact = (id: string, name: string) => {
    const contact = mocker.createContact({ id, name })
    contacts.set(id, contact)
    return contact
  }
  const bot = addContact(sandboxBotId, botName)
  for (const s of demoStaff) addContact(s.id, s.name)
  for (const r of demoResidents) addContact(r.id, r.name)
  const worker = (scope: string) =>
    demoStaff.filter((s) => s.scope === scope || s.scope === '劲松街道').map((s) => s.id)
  for (const place of demoXiaoqu) {
    const members = [
      sandboxBotId,
      ...demoResidents.filter((r) => r.xiaoquKey === place.key).map((r) => r.id),
      ...worker(place.community),
    ]
    rooms.set(
      place.roomId,
      mocker.createRoom({ id: place.roomId, topic: place.topic, memberIdList: members }),
    )
  }
  rooms.set(
    demoOfficersRoom.roomId,
    mocker.createRoom({
      id: demoOfficersRoom.roomId,
      topic: demoOfficersRoom.topic,
      memberIdList: [sandboxBotId, ...demoStaff.map((s) => s.id)],
    }),
  )
  rooms.set(
    demoUnboundRoom.roomId,
    mocker.createRoom({
      id: demoUnboundRoom.roomId,
      topic: demoUnboundRoom.topic,
      memberIdList: [sandboxBotId, ...demoResidents.slice(0, 5).map((r) => r.id)],
    }),
  )

  const transcript = createTranscript({
    botId: sandboxBotId,
    nameOf: (id) => contacts.get(id)?.payload.name ?? id,
    knownNames: () => [...contacts.values()].map((c) => c.payload.name),
  })
  puppet.on('message', ({ messageId }) => {
    const payload = mocker.messagePayload(messageId)
    const file = mocker.cacheFileBoxPayload.get(messageId) as { name?: string } | undefined
    transcript.record(file ? { ...payload, text: `[文件] ${file.name ?? ''}` } : payload)
  })

  const findRoom = (idOrTopic: string) =>
    rooms.get(idOrTopic) ?? [...rooms.values()].find((r) => r.payload.topic === idOrTopic)
  const findContact = (idOrName: string) =>
    contacts.get(idOrName) ?? [...contacts.values()].find((c) => c.payload.name === idOrName)

  let counter = 0
  return {
    puppet,
    mocker,
    transcript,
    botId: sandboxBotId,
    botName,
    login: () => mocker.login(bot),
    rooms: () => [...rooms.values()].map((r) => ({ id: r.id, topic: r.payload.topic })),
    contacts: () =>
      [...contacts.values()]
        .filter((c) => c.id !== sandboxBotId)
        .map((c) => ({ id: c.id, name: c.payload.name })),
    findRoom,
    findContact,
    say({ from, text, room, mentionBot }) {
      const speaker =
        findContact(from) ?? addContact(`wxid_sandbox_${Date.now().toString(36)}_${counter++}`, from)
      if (!room) {
        speaker.say(text).to(bot)
        return { fromId: speaker.id }
      }
      const target = findRoom(room)
      if (!target) throw new Error(`no room ${room}`)
      if (!target.payload.memberIdList.includes(speaker.id)) {
        target.payload = { ...target.payload, memberIdList: [...target.payload.memberIdList, speaker.id] }
        mocker.roomPayload(target.id, target.payload)
      }
      const mention = `@${botName}`
      const said = mentionBot && !text.includes(mention) ? `${mention}\u2005${text}` : text
      speaker.say(said, mentionBot ? [bot] : []).to(target)
      return { roomId: target.id, fromId: speaker.id }
    },
  }
}
