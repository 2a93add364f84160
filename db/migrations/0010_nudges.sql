CREATE TABLE "job_runs" (
	"id" serial PRIMARY KEY NOT NULL,
	"job" text NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"finished_at" timestamp with time zone,
	"items" integer,
	"error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "nudges" (
	"id" serial PRIMARY KEY NOT NULL,
	"item_kind" text NOT NULL,
	"item_id" integer NOT NULL,
	"level" integer NOT NULL,
	"recipient_staff_id" integer,
	"sent_at" timestamp with time zone NOT NULL,
	CONSTRAINT "nudges_item_level" UNIQUE("item_kind","item_id","level")
);
--> statement-breakpoint
CREATE INDEX "job_runs_job" ON "job_runs" USING btree ("job","id");--> statement-breakpoint
CREATE INDEX "nudges_item" ON "nudges" USING btree ("item_kind","item_id");--> statement-breakpoint
CREATE INDEX "requests_response_due_submitted" ON "requests" USING btree ("response_due_at") WHERE status = 'submitted';