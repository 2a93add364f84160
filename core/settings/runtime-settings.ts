import type { Config } from '../../config'

/** A setting the process reads from its environment at start: shown to admins, changed by a restart. */
export interface EnvSetting {
  label: string
  value: string
  env: string
  note: string
}

/** Minutes of the day as '22:00'. */
export const hm = (minutes: number) =>
  `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`
const onOff = (on: boolean) => (on ? '开' : '关')
const every = (n: number, unit: string) => (n === 0 ? '不限' : `${n} ${unit}`)

const acceptInviteNames = { staff: '仅已绑定的工作人员', all: '所有人', none: '不接受' } as const
const acceptFriendNames = { all: '全部接受', keyword: '验证消息含关键词', none: '不接受' } as const

/**
 * The settings an office asks about, with their current values. They come from the environment, parsed once
 * at start, and are read by the bot, the outbox sender and the jobs: shown here, changed by setting the
 * variable and restarting (moving them to the database would change those readers, not this list).
 */
export function envSettings(config: Config): EnvSetting[] {
  const s = config.send
  return [
    {
      label: '免打扰时段',
      value: s.quietHours ? `${hm(s.quietHours.from)}–${hm(s.quietHours.to)}` : '关闭',
      env: 'QUIET_HOURS',
      note: '普通消息在此时段内等待发送，紧急消息不受限。',
    },
    {
      label: '同一群发送间隔',
      value: every(s.minGapMs, '毫秒'),
      env: 'SEND_MIN_GAP_MS',
      note: '防止被微信判为机器。',
    },
    { label: '每分钟最多发送', value: every(s.ratePerMinute, '条'), env: 'SEND_RATE_PER_MINUTE', note: '' },
    {
      label: '每日发送上限',
      value: every(s.dailyCap, '条'),
      env: 'SEND_DAILY_CAP',
      note: '每个机器人账号。',
    },
    {
      label: '单条消息最多字数',
      value: `${s.maxChars} 字`,
      env: 'SEND_MAX_CHARS',
      note: '过长的消息分条发送。',
    },
    {
      label: '每小时最多通过好友申请',
      value: `${config.bot.friendsPerHour} 个`,
      env: 'BOT_FRIENDS_PER_HOUR',
      note: '',
    },
    {
      label: '好友申请',
      value: acceptFriendNames[config.bot.acceptFriends],
      env: 'BOT_ACCEPT_FRIENDS',
      note: config.bot.acceptFriends === 'keyword' ? '关键词见 BOT_FRIEND_KEYWORD。' : '',
    },
    {
      label: '入群邀请',
      value: acceptInviteNames[config.bot.acceptInvites],
      env: 'BOT_ACCEPT_INVITES',
      note: '',
    },
    {
      label: '欢迎新成员',
      value: onOff(config.bot.welcomeNewMembers),
      env: 'BOT_WELCOME_NEW_MEMBERS',
      note: '',
    },
    {
      label: '督办：上报主管',
      value: `超时后 ${config.nudges.supervisorAfterDays} 个工作日`,
      env: 'NUDGE_SUPERVISOR_AFTER_DAYS',
      note: '',
    },
    {
      label: '督办：上报街道领导',
      value: `超时后 ${config.nudges.leadersAfterDays} 个工作日`,
      env: 'NUDGE_LEADERS_AFTER_DAYS',
      note: '',
    },
    {
      label: '施工提醒时间',
      value: `前一天 ${hm(config.phaseEve.hour * 60 + config.phaseEve.minute)}`,
      env: 'PHASE_EVE_TIME',
      note: '',
    },
    {
      label: '物业费提醒',
      value: `截止前 ${config.feeReminderDays.join('、')} 天`,
      env: 'FEE_REMINDER_DAYS',
      note: '',
    },
    { label: '公示期最短', value: `${config.publicityMinDays} 天`, env: 'PUBLICITY_MIN_DAYS', note: '' },
    {
      label: '绑定码有效期',
      value: `${config.bindCodeTtlMinutes} 分钟`,
      env: 'BIND_CODE_TTL_MINUTES',
      note: '',
    },
    {
      label: '附件大小上限',
      value: `${Math.round((config.attachmentMaxBytes / 1024 / 1024) * 10) / 10} MB`,
      env: 'ATTACHMENT_MAX_MB',
      note: '',
    },
    {
      label: '机器人掉线告警',
      value: config.alerts.webhookUrl ? `掉线 ${config.alerts.afterMs / 60_000} 分钟后` : '未配置',
      env: 'ALERT_WEBHOOK_URL、ALERT_AFTER_MINUTES',
      note: '告警地址不在此显示。',
    },
  ]
}
