import type { Hono } from 'hono'
import type { ConsoleKit } from './kit'
import type { ConsoleEnv } from './session'

/** 设置与目标: the year's targets and settings safe to change at run time (admins). */
export function registerSettingsPages(_app: Hono<ConsoleEnv>, _kit: ConsoleKit) {}
