CREATE EXTENSION IF NOT EXISTS pg_trgm;--> statement-breakpoint
CREATE TABLE "routing_rules" (
	"id" serial PRIMARY KEY NOT NULL,
	"category" text,
	"area_id" integer NOT NULL,
	"handler_staff_id" integer,
	"handler_org_id" integer,
	"created_by" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "routing_rules_one_handler" CHECK (("routing_rules"."handler_staff_id" is null) <> ("routing_rules"."handler_org_id" is null))
);
--> statement-breakpoint
ALTER TABLE "routing_rules" ADD CONSTRAINT "routing_rules_handler_staff_id_staff_id_fk" FOREIGN KEY ("handler_staff_id") REFERENCES "public"."staff"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "routing_rules_area_category" ON "routing_rules" USING btree ("area_id",coalesce("category", ''));--> statement-breakpoint
CREATE INDEX "requests_category_id" ON "requests" USING btree ("category","id");--> statement-breakpoint
CREATE INDEX "requests_group" ON "requests" USING btree ("group_id");--> statement-breakpoint
CREATE INDEX "requests_text_trgm" ON "requests" USING gin ("text" gin_trgm_ops);