/**
 * A sending process for the crash test: drains the outbox of the database in GAIZAO_CHILD_DB with a
 * transport that "delivers" by appending to GAIZAO_DELIVERY_LOG (standing in for WeChat), slowly enough
 * to be killed midway.
 */
import { appendFileSync } from 'node:fs'
import { loadConfig } from '../../config'
import { startOutboxSender } from '../../core/outbox/outbox.sender'
import { systemClock } from '../../core/shared/clock'
import { createLog } from '../../core/shared/log'
import { createNotifier } from '../../core/shared/notifier'
import { openDatabase } from '../../db/client'

const url = process.env.GAIZAO_CHILD_DB
const logFile = process.env.GAIZAO_DELIVERY_LOG
if (!url || !logFile) throw new Error('GAIZAO_CHILD_DB and GAIZAO_DELIVERY_LOG are required')
const database = await openDatabase({ url, poolSize: 2 })
const config = loadConfig({ SEND_LEASE_MS: '300', OUTBOX_POLL_MS: '20', SEND_RETRY_BASE_MS: '0' })
startOutboxSender(
  { db: database.db, clock: systemClock, config, log: createLog('error'), outboxSignal: createNotifier() },
  {
    async send(row) {
      await new Promise((resolve) => setTimeout(resolve, 4))
      appendFileSync(logFile, `${row.conversationId}\n`)
    },
  },
)
process.stdout.write('sender started\n')
