/** The seeded demo community of the sandbox: one street, two communities, three xiaoqu. */
export interface DemoXiaoqu {
  key: string
  name: string
  community: string
  address: string
  buildYear: number
  buildings: string[]
  roomId: string
  topic: string
}

export const demoStreet = {
  district: '朝阳区',
  street: '劲松街道',
  communities: ['农光里社区', '劲松北社区'],
}

export const demoXiaoqu: DemoXiaoqu[] = [
  {
    key: 'ngl',
    name: '农光里小区',
    community: '农光里社区',
    address: '朝阳区农光里',
    buildYear: 1983,
    buildings: ['1号楼', '2号楼', '3号楼'],
    roomId: 'demo-nongguangli@chatroom',
    topic: '农光里小区居民群',
  },
  {
    key: 'ngdl',
    name: '农光东里小区',
    community: '农光里社区',
    address: '朝阳区农光东里',
    buildYear: 1987,
    buildings: ['5号楼', '6号楼', '7号楼'],
    roomId: 'demo-nongguangdongli@chatroom',
    topic: '农光东里小区居民群',
  },
  {
    key: 'js8',
    name: '劲松八区',
    community: '劲松北社区',
    address: '朝阳区劲松八区',
    buildYear: 1979,
    buildings: ['801楼', '802楼', '803楼'],
    roomId: 'demo-jinsong8@chatroom',
    topic: '劲松八区居民群',
  },
]

export const demoOfficersRoom = { roomId: 'demo-officers@chatroom', topic: '劲松街道改造工作群' }
/** A group the bot is in but nobody bound: it stays silent there. */
export const demoUnboundRoom = { roomId: 'demo-chitchat@chatroom', topic: '楼下闲聊群' }

export interface DemoStaff {
  id: string
  name: string
  role: 'officer' | 'community_worker'
  /** The street, a community, or nothing more specific. */
  scope: string
  phone: string
}

export const demoStaff: DemoStaff[] = [
  { id: 'wxid_demo_wangjianguo', name: '王建国', role: 'officer', scope: '劲松街道', phone: '13901010001' },
  { id: 'wxid_demo_lihong', name: '李红', role: 'officer', scope: '农光里社区', phone: '13901010002' },
  { id: 'wxid_demo_zhaoqiang', name: '赵强', role: 'officer', scope: '劲松北社区', phone: '13901010003' },
  {
    id: 'wxid_demo_chenjing',
    name: '陈静',
    role: 'community_worker',
    scope: '农光里社区',
    phone: '13901010004',
  },
]

const residentNames = [
  ['张桂兰', '刘建华', '王秀英', '李德明', '赵淑芬', '孙立新', '周玉梅', '吴国强', '郑丽华', '冯志刚'],
  ['陈凤英', '杨海涛', '黄美玲', '何春生', '高秀珍', '林永福', '郭晓燕', '马振华', '罗淑华', '梁宝山'],
  ['宋桂芝', '谢卫东', '韩素云', '唐建军', '曹玉兰', '许文斌', '邓秀芳', '彭国庆', '曾丽娟', '萧长林'],
]

export interface DemoResident {
  id: string
  name: string
  xiaoquKey: string
  building: string
  unit: string
  room: string
  phone: string
}

export const demoResidents: DemoResident[] = demoXiaoqu.flatMap((place, x) =>
  residentNames[x]!.map((name, i) => ({
    id: `wxid_demo_${place.key}_${String(i + 1).padStart(2, '0')}`,
    name,
    xiaoquKey: place.key,
    building: place.buildings[i % place.buildings.length]!,
    unit: `${(i % 2) + 1}单元`,
    room: `${Math.floor(i / 2) + 1}0${(i % 2) + 1}`,
    phone: `1350101${String(x * 100 + i).padStart(4, '0')}`,
  })),
)

export const demoUnits = ['1单元', '2单元']
export const demoFloors = 6
export const demoRoomsPerFloor = 2

/** A plausible exclusive area for a room, in hundredths of m², stable across runs. */
export function demoAreaCenti(building: string, unit: string, room: string) {
  let h = 0
  for (const c of `${building}${unit}${room}`) h = (h * 31 + c.charCodeAt(0)) % 100_000
  return 4_500 + (h % 3_500)
}
