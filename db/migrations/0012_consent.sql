CREATE SEQUENCE "public"."campaign_number_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1;--> statement-breakpoint
CREATE TABLE "ballots" (
	"id" serial PRIMARY KEY NOT NULL,
	"campaign_id" integer NOT NULL,
	"household_id" integer NOT NULL,
	"choice" text NOT NULL,
	"channel" text NOT NULL,
	"resident_id" integer,
	"entered_by" integer,
	"note" text,
	"at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "campaign_roll" (
	"campaign_id" integer NOT NULL,
	"household_id" integer NOT NULL,
	"owner_key" text NOT NULL,
	"area_centi" integer NOT NULL,
	"label" text NOT NULL,
	CONSTRAINT "campaign_roll_campaign_id_household_id_pk" PRIMARY KEY("campaign_id","household_id")
);
--> statement-breakpoint
CREATE TABLE "campaigns" (
	"id" serial PRIMARY KEY NOT NULL,
	"number" text DEFAULT 'Z' || nextval('campaign_number_seq') NOT NULL,
	"xiaoqu_id" integer NOT NULL,
	"building_id" integer,
	"unit_id" integer,
	"scope_name" text NOT NULL,
	"matter" text NOT NULL,
	"local_rule" text,
	"rule" jsonb NOT NULL,
	"question" text NOT NULL,
	"project_id" integer,
	"opens_at" timestamp with time zone NOT NULL,
	"closes_at" timestamp with time zone NOT NULL,
	"status" text DEFAULT 'scheduled' NOT NULL,
	"opened_at" timestamp with time zone,
	"closed_at" timestamp with time zone,
	"result" jsonb,
	"ballots_digest" text,
	"created_by" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "campaigns_number_unique" UNIQUE("number")
);
--> statement-breakpoint
ALTER TABLE "households" ADD COLUMN "owner_name" text;--> statement-breakpoint
ALTER TABLE "households" ADD COLUMN "owner_phone" text;--> statement-breakpoint
ALTER TABLE "households" ADD COLUMN "owner_key" text;--> statement-breakpoint
ALTER TABLE "ballots" ADD CONSTRAINT "ballots_campaign_id_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."campaigns"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ballots" ADD CONSTRAINT "ballots_household_id_households_id_fk" FOREIGN KEY ("household_id") REFERENCES "public"."households"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ballots" ADD CONSTRAINT "ballots_resident_id_residents_id_fk" FOREIGN KEY ("resident_id") REFERENCES "public"."residents"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ballots" ADD CONSTRAINT "ballots_entered_by_staff_id_fk" FOREIGN KEY ("entered_by") REFERENCES "public"."staff"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "campaign_roll" ADD CONSTRAINT "campaign_roll_campaign_id_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."campaigns"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "campaign_roll" ADD CONSTRAINT "campaign_roll_household_id_households_id_fk" FOREIGN KEY ("household_id") REFERENCES "public"."households"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "campaigns" ADD CONSTRAINT "campaigns_xiaoqu_id_xiaoqu_id_fk" FOREIGN KEY ("xiaoqu_id") REFERENCES "public"."xiaoqu"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "campaigns" ADD CONSTRAINT "campaigns_building_id_buildings_id_fk" FOREIGN KEY ("building_id") REFERENCES "public"."buildings"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "campaigns" ADD CONSTRAINT "campaigns_unit_id_units_id_fk" FOREIGN KEY ("unit_id") REFERENCES "public"."units"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "campaigns" ADD CONSTRAINT "campaigns_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "campaigns" ADD CONSTRAINT "campaigns_created_by_staff_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."staff"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "ballots_campaign_household" ON "ballots" USING btree ("campaign_id","household_id","id");--> statement-breakpoint
CREATE INDEX "campaigns_status" ON "campaigns" USING btree ("status","opens_at");