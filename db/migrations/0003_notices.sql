CREATE SEQUENCE "public"."broadcast_number_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1;--> statement-breakpoint
CREATE TABLE "notices" (
	"id" serial PRIMARY KEY NOT NULL,
	"number" text DEFAULT 'B' || nextval('broadcast_number_seq') NOT NULL,
	"kind" text NOT NULL,
	"body" text NOT NULL,
	"scope_path" text NOT NULL,
	"scope_name" text NOT NULL,
	"status" text NOT NULL,
	"urgent" integer DEFAULT 0 NOT NULL,
	"publish_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone,
	"published_at" timestamp with time zone,
	"cancelled_at" timestamp with time zone,
	"group_count" integer,
	"created_by" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "notices_number_unique" UNIQUE("number")
);
--> statement-breakpoint
ALTER TABLE "notices" ADD CONSTRAINT "notices_created_by_staff_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."staff"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "notices_due" ON "notices" USING btree ("publish_at") WHERE status = 'scheduled';--> statement-breakpoint
CREATE INDEX "notices_drafts" ON "notices" USING btree ("created_by","id") WHERE status = 'draft';