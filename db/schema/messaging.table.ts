import { sql } from 'drizzle-orm'
import {
  bigserial,
  boolean,
  customType,
  index,
  integer,
  jsonb,
  pgTable,
  serial,
  text,
} from 'drizzle-orm/pg-core'

const bytea = customType<{ data: Buffer; driverData: Buffer | Uint8Array }>({
  dataType: () => 'bytea',
  fromDriver: (value) => Buffer.from(value),
})

import { createdAt, instant } from './columns'

/** Every message the bot receives, once by WeChat message id: a replayed id does nothing. */
export const inboundMessages = pgTable('inbound_messages', {
  messageId: text('message_id').primaryKey(),
  roomId: text('room_id'),
  senderId: text('sender_id').notNull(),
  senderName: text('sender_name'),
  text: text('text').notNull(),
  sentAt: instant('sent_at'),
  receivedAt: instant('received_at').notNull(),
  outcome: text('outcome'),
  /** text, image, voice, or another kind the bot does not read (sticker, link, mini-program, …). */
  kind: text('kind').notNull().default('text'),
  /** An image or voice message's file, kept with the message. */
  attachmentId: integer('attachment_id'),
})

export const outboxStatuses = ['pending', 'sending', 'sent', 'failed', 'uncertain', 'dropped'] as const

/**
 * `reply` answers someone who just spoke; `normal` is news nobody asked for at that moment (held in quiet
 * hours); `urgent` goes out at any hour.
 */
export const outboxPriorities = ['reply', 'normal', 'urgent'] as const

export interface OutboxMention {
  id: string
  name: string
}

/** 待发消息: written in the same transaction as the change it reports; the sender drains it. */
export const outbox = pgTable(
  'outbox',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    dedupeKey: text('dedupe_key').unique(),
    conversationId: text('conversation_id').notNull(),
    isRoom: integer('is_room').notNull(),
    text: text('text').notNull(),
    mentions: jsonb('mentions').$type<OutboxMention[]>().notNull().default([]),
    status: text('status', { enum: outboxStatuses }).notNull().default('pending'),
    priority: text('priority', { enum: outboxPriorities }).notNull().default('normal'),
    /** Groups the rows of one broadcast, for its progress. */
    batch: text('batch'),
    /** A file message: `text` is then the file's name. */
    attachmentId: integer('attachment_id'),
    attempts: integer('attempts').notNull().default(0),
    notBefore: instant('not_before').notNull().defaultNow(),
    leaseUntil: instant('lease_until'),
    /** Set just before the hand-over to WeChat: a dead sender's row is `uncertain` only if this is set. */
    inFlight: boolean('in_flight').notNull().default(false),
    lastError: text('last_error'),
    sentAt: instant('sent_at'),
    /** The bot account that handed it over (bot_accounts.name): pacing is counted per account. */
    sentBy: text('sent_by'),
    createdAt: createdAt(),
  },
  (t) => [
    index('outbox_pending').on(t.notBefore, t.id).where(sql`status = 'pending'`),
    index('outbox_conversation').on(t.conversationId, t.id),
    // A conversation's queue, its head first: the claim reads one entry per conversation, whatever its
    // backlog. The second is the queue in quiet hours, when held normal rows neither go nor block.
    index('outbox_queue').on(t.conversationId, t.id).where(sql`status in ('pending', 'sending')`),
    index('outbox_queue_quiet')
      .on(t.conversationId, t.id)
      .where(sql`status in ('pending', 'sending') and priority <> 'normal'`),
    // Only broadcasts have a batch: replies and nudges need no entry here.
    index('outbox_batch').on(t.batch).where(sql`batch is not null`),
    index('outbox_sent_at').on(t.sentAt).where(sql`status = 'sent'`),
    // The rows senders hold right now: lease recovery, at every round of every sender, reads only these.
    // Keyed by id, not lease_until: renewing a lease (a message going in flight) then touches no index.
    index('outbox_sending').on(t.id).where(sql`status = 'sending'`),
    // An account's sends of the last minute and of today: its rate and daily cap.
    index('outbox_sent_by').on(t.sentBy, t.sentAt).where(sql`status = 'sent'`),
  ],
)

/** A file attached to a notice (design drawings): kept in the database, so a backup holds it too. */
export const attachments = pgTable('attachments', {
  id: serial('id').primaryKey(),
  fileName: text('file_name').notNull(),
  mediaType: text('media_type').notNull(),
  size: integer('size').notNull(),
  sha256: text('sha256').notNull(),
  data: bytea('data').notNull(),
  uploadedBy: integer('uploaded_by'),
  createdAt: createdAt(),
})
