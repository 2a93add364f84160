CREATE SEQUENCE "public"."publicity_number_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1;--> statement-breakpoint
CREATE TABLE "publicities" (
	"id" serial PRIMARY KEY NOT NULL,
	"number" text DEFAULT 'G' || nextval('publicity_number_seq') NOT NULL,
	"xiaoqu_id" integer NOT NULL,
	"title" text NOT NULL,
	"body" text NOT NULL,
	"reviewed_by" text,
	"reviewed_at" timestamp with time zone,
	"opens_at" timestamp with time zone NOT NULL,
	"closes_at" timestamp with time zone NOT NULL,
	"status" text DEFAULT 'draft' NOT NULL,
	"opened_at" timestamp with time zone,
	"halfway_at" timestamp with time zone,
	"closed_at" timestamp with time zone,
	"summary" jsonb,
	"created_by" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "publicities_number_unique" UNIQUE("number")
);
--> statement-breakpoint
CREATE TABLE "publicity_feedback" (
	"id" serial PRIMARY KEY NOT NULL,
	"publicity_id" integer NOT NULL,
	"resident_id" integer NOT NULL,
	"text" text NOT NULL,
	"category" text NOT NULL,
	"room_id" text,
	"at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "publicities" ADD CONSTRAINT "publicities_xiaoqu_id_xiaoqu_id_fk" FOREIGN KEY ("xiaoqu_id") REFERENCES "public"."xiaoqu"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "publicities" ADD CONSTRAINT "publicities_created_by_staff_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."staff"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "publicity_feedback" ADD CONSTRAINT "publicity_feedback_publicity_id_publicities_id_fk" FOREIGN KEY ("publicity_id") REFERENCES "public"."publicities"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "publicity_feedback" ADD CONSTRAINT "publicity_feedback_resident_id_residents_id_fk" FOREIGN KEY ("resident_id") REFERENCES "public"."residents"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "publicities_status" ON "publicities" USING btree ("status","opens_at");--> statement-breakpoint
CREATE INDEX "publicity_feedback_publicity" ON "publicity_feedback" USING btree ("publicity_id","id");