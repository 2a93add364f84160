import type { Hono } from 'hono'
import type { ConsoleKit } from './kit'
import type { ConsoleEnv } from './session'

/** 人员与区域: staff, areas, xiaoqu, organisations, governance, binding codes. */
export function registerPeoplePages(_app: Hono<ConsoleEnv>, _kit: ConsoleKit) {}
