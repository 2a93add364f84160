-- Issue 15, city scale: several bot accounts. The accounts (credentials by env variable name only), which
-- accounts reach each conversation, the one account that speaks in it now, each account's reported
-- status, and who sent each outbox row (pacing per account).
CREATE TABLE "bot_accounts" (
	"name" text PRIMARY KEY NOT NULL,
	"label" text NOT NULL,
	"puppet" text NOT NULL,
	"endpoint" text,
	"token_env" text,
	"enabled" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "bot_status" (
	"account" text PRIMARY KEY NOT NULL,
	"holder" text NOT NULL,
	"state" text NOT NULL,
	"state_since" timestamp with time zone NOT NULL,
	"detail" text,
	"qr" text,
	"self_id" text,
	"self_name" text,
	"reported_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "conversation_reach" (
	"conversation_id" text NOT NULL,
	"account" text NOT NULL,
	"is_room" boolean NOT NULL,
	"seen_at" timestamp with time zone NOT NULL,
	CONSTRAINT "conversation_reach_conversation_id_account_pk" PRIMARY KEY("conversation_id","account")
);
--> statement-breakpoint
CREATE TABLE "conversation_routes" (
	"conversation_id" text PRIMARY KEY NOT NULL,
	"account" text NOT NULL,
	"reason" text NOT NULL,
	"since" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "outbox" ADD COLUMN "sent_by" text;--> statement-breakpoint
CREATE INDEX "conversation_reach_account" ON "conversation_reach" USING btree ("account","conversation_id");--> statement-breakpoint
CREATE INDEX "conversation_routes_account" ON "conversation_routes" USING btree ("account","conversation_id");--> statement-breakpoint
CREATE INDEX "outbox_sent_by" ON "outbox" USING btree ("sent_by","sent_at") WHERE status = 'sent';