CREATE SEQUENCE "public"."request_number_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1001 CACHE 1;--> statement-breakpoint
CREATE TABLE "areas" (
	"id" serial PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"name" text NOT NULL,
	"parent_id" integer,
	"path" text DEFAULT '' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "areas_parent_name" UNIQUE("parent_id","name")
);
--> statement-breakpoint
CREATE TABLE "buildings" (
	"id" serial PRIMARY KEY NOT NULL,
	"xiaoqu_id" integer NOT NULL,
	"name" text NOT NULL,
	CONSTRAINT "buildings_xiaoqu_name" UNIQUE("xiaoqu_id","name")
);
--> statement-breakpoint
CREATE TABLE "households" (
	"id" serial PRIMARY KEY NOT NULL,
	"xiaoqu_id" integer NOT NULL,
	"building_id" integer NOT NULL,
	"unit_id" integer NOT NULL,
	"room" text NOT NULL,
	"exclusive_area_centi" integer,
	CONSTRAINT "households_unit_room" UNIQUE("unit_id","room")
);
--> statement-breakpoint
CREATE TABLE "units" (
	"id" serial PRIMARY KEY NOT NULL,
	"building_id" integer NOT NULL,
	"name" text NOT NULL,
	CONSTRAINT "units_building_name" UNIQUE("building_id","name")
);
--> statement-breakpoint
CREATE TABLE "xiaoqu" (
	"id" serial PRIMARY KEY NOT NULL,
	"community_id" integer NOT NULL,
	"name" text NOT NULL,
	"address" text,
	"build_year" integer,
	"path" text DEFAULT '' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "xiaoqu_community_name" UNIQUE("community_id","name")
);
--> statement-breakpoint
CREATE TABLE "audit_log" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"actor_staff_id" integer,
	"actor_name" text,
	"via" text NOT NULL,
	"action" text NOT NULL,
	"entity" text NOT NULL,
	"entity_id" text NOT NULL,
	"before" jsonb,
	"after" jsonb,
	"at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "calendar_overrides" (
	"date" text PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"name" text,
	"created_by" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "settings" (
	"key" text PRIMARY KEY NOT NULL,
	"value" jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "inbound_messages" (
	"message_id" text PRIMARY KEY NOT NULL,
	"room_id" text,
	"sender_id" text NOT NULL,
	"sender_name" text,
	"text" text NOT NULL,
	"sent_at" timestamp with time zone,
	"received_at" timestamp with time zone NOT NULL,
	"outcome" text
);
--> statement-breakpoint
CREATE TABLE "outbox" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"dedupe_key" text,
	"conversation_id" text NOT NULL,
	"is_room" integer NOT NULL,
	"text" text NOT NULL,
	"mentions" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"not_before" timestamp with time zone DEFAULT now() NOT NULL,
	"lease_until" timestamp with time zone,
	"last_error" text,
	"sent_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "outbox_dedupe_key_unique" UNIQUE("dedupe_key")
);
--> statement-breakpoint
CREATE TABLE "bind_codes" (
	"code" text PRIMARY KEY NOT NULL,
	"purpose" text NOT NULL,
	"staff_id" integer,
	"xiaoqu_id" integer,
	"building_id" integer,
	"group_kind" text,
	"created_by" integer,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "chat_groups" (
	"id" serial PRIMARY KEY NOT NULL,
	"room_id" text NOT NULL,
	"topic" text NOT NULL,
	"kind" text NOT NULL,
	"xiaoqu_id" integer,
	"building_id" integer,
	"scope_path" text,
	"bound_by" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "chat_groups_room_id_unique" UNIQUE("room_id")
);
--> statement-breakpoint
CREATE TABLE "organisations" (
	"id" serial PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"name" text NOT NULL,
	"area_id" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "organisations_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "owners_organisations" (
	"xiaoqu_id" integer PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"formed_on" text
);
--> statement-breakpoint
CREATE TABLE "resident_households" (
	"resident_id" integer NOT NULL,
	"household_id" integer NOT NULL,
	"is_owner" boolean DEFAULT true NOT NULL,
	"verified_at" timestamp with time zone,
	"verified_by" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "resident_households_resident_id_household_id_pk" PRIMARY KEY("resident_id","household_id")
);
--> statement-breakpoint
CREATE TABLE "residents" (
	"id" serial PRIMARY KEY NOT NULL,
	"wechat_id" text,
	"name" text NOT NULL,
	"phone" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "residents_wechat_id_unique" UNIQUE("wechat_id")
);
--> statement-breakpoint
CREATE TABLE "staff" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"role" text NOT NULL,
	"scope_path" text,
	"organisation_id" integer,
	"supervisor_id" integer,
	"phone" text,
	"wechat_id" text,
	"token_hash" text,
	"active" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "staff_wechat_id_unique" UNIQUE("wechat_id"),
	CONSTRAINT "staff_token_hash_unique" UNIQUE("token_hash")
);
--> statement-breakpoint
CREATE TABLE "request_events" (
	"id" serial PRIMARY KEY NOT NULL,
	"request_id" integer NOT NULL,
	"kind" text NOT NULL,
	"actor_kind" text NOT NULL,
	"actor_id" integer,
	"actor_name" text,
	"note" text,
	"data" jsonb,
	"at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "request_supporters" (
	"request_id" integer NOT NULL,
	"resident_id" integer NOT NULL,
	"at" timestamp with time zone NOT NULL,
	CONSTRAINT "request_supporters_request_id_resident_id_pk" PRIMARY KEY("request_id","resident_id")
);
--> statement-breakpoint
CREATE TABLE "requests" (
	"id" serial PRIMARY KEY NOT NULL,
	"number" text DEFAULT 'Q' || nextval('request_number_seq') NOT NULL,
	"xiaoqu_id" integer,
	"group_id" integer,
	"resident_id" integer,
	"channel" text NOT NULL,
	"text" text NOT NULL,
	"location" text,
	"contact_phone" text,
	"category" text NOT NULL,
	"menu_item" text NOT NULL,
	"urgency" text NOT NULL,
	"status" text DEFAULT 'submitted' NOT NULL,
	"assignee_staff_id" integer,
	"response_due_at" timestamp with time zone NOT NULL,
	"resolution_due_at" timestamp with time zone NOT NULL,
	"responded_at" timestamp with time zone,
	"resolved_at" timestamp with time zone,
	"resolution_note" text,
	"rating" text,
	"rated_at" timestamp with time zone,
	"support_count" integer DEFAULT 0 NOT NULL,
	"inbound_message_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "requests_number_unique" UNIQUE("number")
);
--> statement-breakpoint
ALTER TABLE "buildings" ADD CONSTRAINT "buildings_xiaoqu_id_xiaoqu_id_fk" FOREIGN KEY ("xiaoqu_id") REFERENCES "public"."xiaoqu"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "households" ADD CONSTRAINT "households_xiaoqu_id_xiaoqu_id_fk" FOREIGN KEY ("xiaoqu_id") REFERENCES "public"."xiaoqu"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "households" ADD CONSTRAINT "households_building_id_buildings_id_fk" FOREIGN KEY ("building_id") REFERENCES "public"."buildings"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "households" ADD CONSTRAINT "households_unit_id_units_id_fk" FOREIGN KEY ("unit_id") REFERENCES "public"."units"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "units" ADD CONSTRAINT "units_building_id_buildings_id_fk" FOREIGN KEY ("building_id") REFERENCES "public"."buildings"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "xiaoqu" ADD CONSTRAINT "xiaoqu_community_id_areas_id_fk" FOREIGN KEY ("community_id") REFERENCES "public"."areas"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "bind_codes" ADD CONSTRAINT "bind_codes_staff_id_staff_id_fk" FOREIGN KEY ("staff_id") REFERENCES "public"."staff"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "bind_codes" ADD CONSTRAINT "bind_codes_xiaoqu_id_xiaoqu_id_fk" FOREIGN KEY ("xiaoqu_id") REFERENCES "public"."xiaoqu"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "chat_groups" ADD CONSTRAINT "chat_groups_xiaoqu_id_xiaoqu_id_fk" FOREIGN KEY ("xiaoqu_id") REFERENCES "public"."xiaoqu"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "organisations" ADD CONSTRAINT "organisations_area_id_areas_id_fk" FOREIGN KEY ("area_id") REFERENCES "public"."areas"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "owners_organisations" ADD CONSTRAINT "owners_organisations_xiaoqu_id_xiaoqu_id_fk" FOREIGN KEY ("xiaoqu_id") REFERENCES "public"."xiaoqu"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "resident_households" ADD CONSTRAINT "resident_households_resident_id_residents_id_fk" FOREIGN KEY ("resident_id") REFERENCES "public"."residents"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "resident_households" ADD CONSTRAINT "resident_households_household_id_households_id_fk" FOREIGN KEY ("household_id") REFERENCES "public"."households"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "staff" ADD CONSTRAINT "staff_organisation_id_organisations_id_fk" FOREIGN KEY ("organisation_id") REFERENCES "public"."organisations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "request_events" ADD CONSTRAINT "request_events_request_id_requests_id_fk" FOREIGN KEY ("request_id") REFERENCES "public"."requests"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "request_supporters" ADD CONSTRAINT "request_supporters_request_id_requests_id_fk" FOREIGN KEY ("request_id") REFERENCES "public"."requests"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "request_supporters" ADD CONSTRAINT "request_supporters_resident_id_residents_id_fk" FOREIGN KEY ("resident_id") REFERENCES "public"."residents"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "requests" ADD CONSTRAINT "requests_xiaoqu_id_xiaoqu_id_fk" FOREIGN KEY ("xiaoqu_id") REFERENCES "public"."xiaoqu"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "requests" ADD CONSTRAINT "requests_group_id_chat_groups_id_fk" FOREIGN KEY ("group_id") REFERENCES "public"."chat_groups"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "requests" ADD CONSTRAINT "requests_resident_id_residents_id_fk" FOREIGN KEY ("resident_id") REFERENCES "public"."residents"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "requests" ADD CONSTRAINT "requests_assignee_staff_id_staff_id_fk" FOREIGN KEY ("assignee_staff_id") REFERENCES "public"."staff"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "areas_path" ON "areas" USING btree ("path");--> statement-breakpoint
CREATE INDEX "households_xiaoqu" ON "households" USING btree ("xiaoqu_id");--> statement-breakpoint
CREATE INDEX "xiaoqu_path" ON "xiaoqu" USING btree ("path");--> statement-breakpoint
CREATE INDEX "audit_entity" ON "audit_log" USING btree ("entity","entity_id");--> statement-breakpoint
CREATE INDEX "outbox_pending" ON "outbox" USING btree ("not_before","id") WHERE status = 'pending';--> statement-breakpoint
CREATE INDEX "outbox_conversation" ON "outbox" USING btree ("conversation_id","id");--> statement-breakpoint
CREATE INDEX "chat_groups_xiaoqu" ON "chat_groups" USING btree ("xiaoqu_id");--> statement-breakpoint
CREATE INDEX "staff_scope" ON "staff" USING btree ("scope_path");--> statement-breakpoint
CREATE INDEX "request_events_request" ON "request_events" USING btree ("request_id","id");--> statement-breakpoint
CREATE INDEX "requests_status_id" ON "requests" USING btree ("status","id");--> statement-breakpoint
CREATE INDEX "requests_xiaoqu_id" ON "requests" USING btree ("xiaoqu_id","id");--> statement-breakpoint
CREATE INDEX "requests_resident" ON "requests" USING btree ("resident_id");--> statement-breakpoint
CREATE INDEX "requests_assignee" ON "requests" USING btree ("assignee_staff_id");--> statement-breakpoint
CREATE INDEX "requests_resolution_due_open" ON "requests" USING btree ("resolution_due_at") WHERE status in ('submitted', 'accepted');