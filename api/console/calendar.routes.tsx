import type { Hono } from 'hono'
import type { ConsoleKit } from './kit'
import type { ConsoleEnv } from './session'

/** 工作日历: statutory holidays and the State Council's 调休 by year (admins). */
export function registerCalendarPages(_app: Hono<ConsoleEnv>, _kit: ConsoleKit) {}
