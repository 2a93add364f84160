import type { Hono } from 'hono'
import type { ConsoleKit } from './kit'
import type { ConsoleEnv } from './session'

/** 通知公告: broadcasts, design publicity, construction schedules, fee notices and their delivery. */
export function registerNoticePages(_app: Hono<ConsoleEnv>, _kit: ConsoleKit) {}
