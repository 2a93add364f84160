CREATE SEQUENCE "public"."project_number_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 101 CACHE 1;--> statement-breakpoint
CREATE SEQUENCE "public"."task_number_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1;--> statement-breakpoint
CREATE TABLE "digest_items" (
	"id" serial PRIMARY KEY NOT NULL,
	"staff_id" integer NOT NULL,
	"nudge_id" integer NOT NULL,
	"line" text NOT NULL,
	"urgent" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"digested_at" timestamp with time zone,
	CONSTRAINT "digest_items_staff_nudge" UNIQUE("staff_id","nudge_id")
);
--> statement-breakpoint
CREATE TABLE "watches" (
	"id" serial PRIMARY KEY NOT NULL,
	"item_kind" text NOT NULL,
	"item_id" integer NOT NULL,
	"label" text NOT NULL,
	"ref" text NOT NULL,
	"scope_path" text NOT NULL,
	"place_name" text NOT NULL,
	"owner_staff_id" integer,
	"owner_org_id" integer,
	"due_at" timestamp with time zone NOT NULL,
	"remind_at" timestamp with time zone,
	"urgent" boolean DEFAULT false NOT NULL,
	"snoozed_until" timestamp with time zone,
	"closed_at" timestamp with time zone,
	"next_level" integer DEFAULT 1 NOT NULL,
	"next_at" timestamp with time zone,
	CONSTRAINT "watches_item" UNIQUE("item_kind","item_id")
);
--> statement-breakpoint
CREATE TABLE "project_documents" (
	"id" serial PRIMARY KEY NOT NULL,
	"project_id" integer NOT NULL,
	"kind" text NOT NULL,
	"note" text NOT NULL,
	"attachment_id" integer,
	"recorded_by" integer NOT NULL,
	"recorded_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "project_events" (
	"id" serial PRIMARY KEY NOT NULL,
	"project_id" integer NOT NULL,
	"kind" text NOT NULL,
	"from_stage" text,
	"to_stage" text,
	"overridden" boolean DEFAULT false NOT NULL,
	"reason" text,
	"actor_staff_id" integer,
	"actor_name" text,
	"data" jsonb,
	"at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "projects" (
	"id" serial PRIMARY KEY NOT NULL,
	"number" text DEFAULT 'P' || nextval('project_number_seq') NOT NULL,
	"xiaoqu_id" integer NOT NULL,
	"year" integer NOT NULL,
	"title" text NOT NULL,
	"items" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"planned_investment" numeric(16, 2) DEFAULT '0' NOT NULL,
	"actual_investment" numeric(16, 2) DEFAULT '0' NOT NULL,
	"responsible_staff_id" integer NOT NULL,
	"implementing_entity_id" integer,
	"property_company_id" integer,
	"planner_id" integer,
	"construction_unit_id" integer,
	"property_rights_unit_id" integer,
	"stage" text DEFAULT '储备' NOT NULL,
	"stage_entered_at" timestamp with time zone NOT NULL,
	"started_at" timestamp with time zone,
	"completed_at" timestamp with time zone,
	"created_by" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "projects_number_unique" UNIQUE("number")
);
--> statement-breakpoint
CREATE TABLE "task_events" (
	"id" serial PRIMARY KEY NOT NULL,
	"task_id" integer NOT NULL,
	"kind" text NOT NULL,
	"actor_staff_id" integer,
	"actor_name" text,
	"note" text,
	"data" jsonb,
	"at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "tasks" (
	"id" serial PRIMARY KEY NOT NULL,
	"number" text DEFAULT 'T' || nextval('task_number_seq') NOT NULL,
	"project_id" integer,
	"xiaoqu_id" integer NOT NULL,
	"title" text NOT NULL,
	"detail" text,
	"stage" text,
	"template_key" text,
	"owner_staff_id" integer,
	"owner_org_id" integer,
	"due_at" timestamp with time zone NOT NULL,
	"remind_at" timestamp with time zone,
	"urgent" boolean DEFAULT false NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"completed_at" timestamp with time zone,
	"completed_by" integer,
	"completion_note" text,
	"created_by" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "tasks_number_unique" UNIQUE("number")
);
--> statement-breakpoint
ALTER TABLE "xiaoqu" ADD COLUMN "property_company_id" integer;--> statement-breakpoint
ALTER TABLE "publicities" ADD COLUMN "project_id" integer;--> statement-breakpoint
ALTER TABLE "staff" ADD COLUMN "digest" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "project_documents" ADD CONSTRAINT "project_documents_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "project_documents" ADD CONSTRAINT "project_documents_attachment_id_attachments_id_fk" FOREIGN KEY ("attachment_id") REFERENCES "public"."attachments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "project_documents" ADD CONSTRAINT "project_documents_recorded_by_staff_id_fk" FOREIGN KEY ("recorded_by") REFERENCES "public"."staff"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "project_events" ADD CONSTRAINT "project_events_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "project_events" ADD CONSTRAINT "project_events_actor_staff_id_staff_id_fk" FOREIGN KEY ("actor_staff_id") REFERENCES "public"."staff"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "projects" ADD CONSTRAINT "projects_xiaoqu_id_xiaoqu_id_fk" FOREIGN KEY ("xiaoqu_id") REFERENCES "public"."xiaoqu"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "projects" ADD CONSTRAINT "projects_responsible_staff_id_staff_id_fk" FOREIGN KEY ("responsible_staff_id") REFERENCES "public"."staff"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "projects" ADD CONSTRAINT "projects_implementing_entity_id_organisations_id_fk" FOREIGN KEY ("implementing_entity_id") REFERENCES "public"."organisations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "projects" ADD CONSTRAINT "projects_property_company_id_organisations_id_fk" FOREIGN KEY ("property_company_id") REFERENCES "public"."organisations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "projects" ADD CONSTRAINT "projects_planner_id_organisations_id_fk" FOREIGN KEY ("planner_id") REFERENCES "public"."organisations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "projects" ADD CONSTRAINT "projects_construction_unit_id_organisations_id_fk" FOREIGN KEY ("construction_unit_id") REFERENCES "public"."organisations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "projects" ADD CONSTRAINT "projects_property_rights_unit_id_organisations_id_fk" FOREIGN KEY ("property_rights_unit_id") REFERENCES "public"."organisations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "projects" ADD CONSTRAINT "projects_created_by_staff_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."staff"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "task_events" ADD CONSTRAINT "task_events_task_id_tasks_id_fk" FOREIGN KEY ("task_id") REFERENCES "public"."tasks"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_xiaoqu_id_xiaoqu_id_fk" FOREIGN KEY ("xiaoqu_id") REFERENCES "public"."xiaoqu"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_owner_staff_id_staff_id_fk" FOREIGN KEY ("owner_staff_id") REFERENCES "public"."staff"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_owner_org_id_organisations_id_fk" FOREIGN KEY ("owner_org_id") REFERENCES "public"."organisations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_completed_by_staff_id_fk" FOREIGN KEY ("completed_by") REFERENCES "public"."staff"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_created_by_staff_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."staff"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "digest_items_pending" ON "digest_items" USING btree ("staff_id") WHERE digested_at is null;--> statement-breakpoint
CREATE INDEX "watches_next_at" ON "watches" USING btree ("next_at") WHERE next_at is not null;--> statement-breakpoint
CREATE INDEX "watches_owner" ON "watches" USING btree ("owner_staff_id") WHERE closed_at is null;--> statement-breakpoint
CREATE INDEX "project_documents_project" ON "project_documents" USING btree ("project_id","kind");--> statement-breakpoint
CREATE INDEX "project_events_project" ON "project_events" USING btree ("project_id","id");--> statement-breakpoint
CREATE INDEX "projects_xiaoqu" ON "projects" USING btree ("xiaoqu_id");--> statement-breakpoint
CREATE INDEX "projects_year" ON "projects" USING btree ("year");--> statement-breakpoint
CREATE INDEX "task_events_task" ON "task_events" USING btree ("task_id","id");--> statement-breakpoint
CREATE INDEX "tasks_project" ON "tasks" USING btree ("project_id","stage");--> statement-breakpoint
CREATE INDEX "tasks_owner_staff" ON "tasks" USING btree ("owner_staff_id") WHERE status = 'open';--> statement-breakpoint
CREATE INDEX "tasks_owner_org" ON "tasks" USING btree ("owner_org_id") WHERE status = 'open';--> statement-breakpoint
CREATE UNIQUE INDEX "tasks_project_template" ON "tasks" USING btree ("project_id","template_key");--> statement-breakpoint
ALTER TABLE "publicities" ADD CONSTRAINT "publicities_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE no action ON UPDATE no action;