CREATE SEQUENCE "public"."fee_number_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1;--> statement-breakpoint
CREATE SEQUENCE "public"."schedule_number_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1;--> statement-breakpoint
CREATE TABLE "construction_phases" (
	"id" serial PRIMARY KEY NOT NULL,
	"schedule_id" integer NOT NULL,
	"seq" integer NOT NULL,
	"name" text NOT NULL,
	"building_ids" integer[] NOT NULL,
	"impacts" text[] NOT NULL,
	"starts_at" timestamp with time zone NOT NULL,
	"ends_at" timestamp with time zone NOT NULL,
	"note" text,
	CONSTRAINT "construction_phases_seq" UNIQUE("schedule_id","seq")
);
--> statement-breakpoint
CREATE TABLE "construction_schedules" (
	"id" serial PRIMARY KEY NOT NULL,
	"number" text DEFAULT 'S' || nextval('schedule_number_seq') NOT NULL,
	"xiaoqu_id" integer NOT NULL,
	"title" text NOT NULL,
	"status" text DEFAULT 'draft' NOT NULL,
	"published_at" timestamp with time zone,
	"created_by" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "construction_schedules_number_unique" UNIQUE("number")
);
--> statement-breakpoint
CREATE TABLE "fee_notices" (
	"id" serial PRIMARY KEY NOT NULL,
	"number" text DEFAULT 'F' || nextval('fee_number_seq') NOT NULL,
	"xiaoqu_id" integer NOT NULL,
	"period" text NOT NULL,
	"standard_fen" integer NOT NULL,
	"deadline" timestamp with time zone NOT NULL,
	"how_to_pay" text NOT NULL,
	"contact" text NOT NULL,
	"status" text NOT NULL,
	"publish_at" timestamp with time zone NOT NULL,
	"published_at" timestamp with time zone,
	"created_by" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "fee_notices_number_unique" UNIQUE("number")
);
--> statement-breakpoint
ALTER TABLE "construction_phases" ADD CONSTRAINT "construction_phases_schedule_id_construction_schedules_id_fk" FOREIGN KEY ("schedule_id") REFERENCES "public"."construction_schedules"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "construction_schedules" ADD CONSTRAINT "construction_schedules_xiaoqu_id_xiaoqu_id_fk" FOREIGN KEY ("xiaoqu_id") REFERENCES "public"."xiaoqu"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "construction_schedules" ADD CONSTRAINT "construction_schedules_created_by_staff_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."staff"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fee_notices" ADD CONSTRAINT "fee_notices_xiaoqu_id_xiaoqu_id_fk" FOREIGN KEY ("xiaoqu_id") REFERENCES "public"."xiaoqu"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fee_notices" ADD CONSTRAINT "fee_notices_created_by_staff_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."staff"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "construction_phases_starts" ON "construction_phases" USING btree ("starts_at");