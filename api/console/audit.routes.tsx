import type { Hono } from 'hono'
import type { ConsoleKit } from './kit'
import type { ConsoleEnv } from './session'

/** 操作记录: the audit log with filters (admins). */
export function registerAuditPages(_app: Hono<ConsoleEnv>, _kit: ConsoleKit) {}
