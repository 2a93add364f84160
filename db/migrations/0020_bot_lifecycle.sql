CREATE TABLE "bot_leases" (
	"account" text PRIMARY KEY NOT NULL,
	"holder" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"acquired_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "identity_issues" (
	"id" serial PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"subject_id" integer NOT NULL,
	"old_wechat_id" text NOT NULL,
	"candidates" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"resolved_at" timestamp with time zone,
	"resolved_by" integer,
	"resolution" text
);
--> statement-breakpoint
CREATE TABLE "request_photos" (
	"id" serial PRIMARY KEY NOT NULL,
	"request_id" integer NOT NULL,
	"attachment_id" integer NOT NULL,
	"inbound_message_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "request_photos_inbound_message_id_unique" UNIQUE("inbound_message_id")
);
--> statement-breakpoint
ALTER TABLE "inbound_messages" ADD COLUMN "kind" text DEFAULT 'text' NOT NULL;--> statement-breakpoint
ALTER TABLE "inbound_messages" ADD COLUMN "attachment_id" integer;--> statement-breakpoint
ALTER TABLE "chat_groups" ADD COLUMN "state" text DEFAULT 'active' NOT NULL;--> statement-breakpoint
ALTER TABLE "chat_groups" ADD COLUMN "state_changed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "chat_groups" ADD COLUMN "member_count" integer;--> statement-breakpoint
ALTER TABLE "chat_groups" ADD COLUMN "last_message_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "staff" ADD COLUMN "wechat_name" text;--> statement-breakpoint
ALTER TABLE "request_photos" ADD CONSTRAINT "request_photos_request_id_requests_id_fk" FOREIGN KEY ("request_id") REFERENCES "public"."requests"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "identity_issues_open" ON "identity_issues" USING btree ("kind","subject_id") WHERE resolved_at is null;--> statement-breakpoint
CREATE INDEX "request_photos_request" ON "request_photos" USING btree ("request_id");