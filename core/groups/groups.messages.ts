/** What the bot says about groups joining, leaving and greeting newcomers. */
export const groupText = {
  joined: (topic: string) => `机器人已加入「${topic}」，在群里发 绑定小区 绑定码 即可启用。`,
  removed: (topic: string, place: string, dropped: number) =>
    `机器人已被移出「${topic}」（${place}），该群的${dropped > 0 ? ` ${dropped} 条` : ''}待发消息已取消。`,
  welcome: (botName: string) =>
    `欢迎加入本群！小区改造有问题，请在群里发"@${botName} 问题描述"提交诉求，例如"@${botName} 3号楼楼道灯坏了"，会有工作人员限时答复。发"帮助"查看全部用法。`,
  leftError: '机器人已不在群里',
  unboundError: '群已解绑',
} as const

export const groupKindNames = { residents: '居民群', building: '楼栋群', officers: '工作群' } as const
export const groupStateNames = { active: '启用', unbound: '已解绑', left: '机器人已退出' } as const
