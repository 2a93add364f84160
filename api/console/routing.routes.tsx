import type { Hono } from 'hono'
import type { ConsoleKit } from './kit'
import type { ConsoleEnv } from './session'

/** 派单规则: category × area → default handler. */
export function registerRoutingPages(_app: Hono<ConsoleEnv>, _kit: ConsoleKit) {}
