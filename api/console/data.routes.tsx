import type { Hono } from 'hono'
import type { ConsoleKit } from './kit'
import type { ConsoleEnv } from './session'

/** 导入导出: households and xiaoqu imports (CSV and XLSX), exports. */
export function registerDataPages(_app: Hono<ConsoleEnv>, _kit: ConsoleKit) {}
