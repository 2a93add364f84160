import { timestamp } from 'drizzle-orm/pg-core'

/** Every instant is stored with its zone; Asia/Shanghai is applied only when shown. */
export const instant = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' })

export const createdAt = () => instant('created_at').notNull().defaultNow()
