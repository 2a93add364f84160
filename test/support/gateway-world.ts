import type { GaizaoProcess } from './gaizao-process'
import type { Gateway } from './gateway'

/**
 * A street with a xiaoqu, made through the API; an officer bound by `绑定` in a private chat, and an
 * officers' group and a residents' group bound by `绑定小区`, all over the gateway as people would.
 */
export async function bindWorld(gaizao: GaizaoProcess, gateway: Gateway) {
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await gaizao.api(method, path, body)
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${res.text}`)
    return res.body
  }
  const suffix = Math.random().toString(36).slice(2, 6)
  const district = await api('POST', '/areas', { kind: 'district', name: `朝阳区${suffix}` })
  const street = await api('POST', '/areas', {
    kind: 'street',
    name: `劲松街道${suffix}`,
    parentId: district.id,
  })
  const community = await api('POST', '/areas', {
    kind: 'community',
    name: `农光里社区${suffix}`,
    parentId: street.id,
  })
  const xiaoqu = await api('POST', '/xiaoqu', { communityId: community.id, name: `农光里${suffix}` })
  const officer = await api('POST', '/staff', { name: '李红', role: 'officer', areaId: street.id })
  const officerContact = gateway.person('李红（社区）')
  const resident = gateway.person('周秀英')
  const officersRoom = gateway.room(`劲松街道改造工作群${suffix}`, [officerContact.id])
  const residentsRoom = gateway.room(`农光里小区居民群${suffix}`, [officerContact.id, resident.id])

  const code = (await api('POST', `/staff/${officer.staff.id}/binding-code`)).code as string
  let after = Date.now()
  gateway.say(officerContact, `绑定 ${code}`)
  await gateway.waitForSaid((m) => m.toId === officerContact.id && m.text.includes('绑定成功'), { after })

  const officersCode = (await api('POST', `/areas/${street.id}/binding-code`)).code as string
  after = Date.now()
  gateway.say(officerContact, `绑定小区 ${officersCode}`, { room: officersRoom })
  await gateway.waitForSaid((m) => m.roomId === officersRoom.id && m.text.includes('已绑定'), { after })

  const groupCode = (await api('POST', `/xiaoqu/${xiaoqu.id}/binding-code`, { kind: 'residents' }))
    .code as string
  after = Date.now()
  gateway.say(officerContact, `绑定小区 ${groupCode}`, { room: residentsRoom })
  await gateway.waitForSaid((m) => m.roomId === residentsRoom.id && m.text.includes('已绑定'), { after })
  return {
    suffix,
    xiaoquId: xiaoqu.id as number,
    officerToken: officer.token as string,
    officerContact,
    resident,
    officersRoom,
    residentsRoom,
    number: '',
  }
}
