ALTER TABLE "digest_items" ADD COLUMN "item_kind" text;--> statement-breakpoint
ALTER TABLE "digest_items" ADD COLUMN "item_id" integer;--> statement-breakpoint
ALTER TABLE "digest_items" ADD COLUMN "level" integer;--> statement-breakpoint
UPDATE "digest_items" d SET "item_kind" = n."item_kind", "item_id" = n."item_id", "level" = n."level" FROM "nudges" n WHERE n."id" = d."nudge_id";--> statement-breakpoint
DELETE FROM "digest_items" WHERE "item_kind" IS NULL;
