ALTER TABLE "digest_items" DROP CONSTRAINT "digest_items_staff_nudge";--> statement-breakpoint
ALTER TABLE "digest_items" DROP COLUMN "nudge_id";--> statement-breakpoint
ALTER TABLE "digest_items" ALTER COLUMN "item_kind" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "digest_items" ALTER COLUMN "item_id" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "digest_items" ALTER COLUMN "level" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "digest_items" ADD CONSTRAINT "digest_items_staff_nudge" UNIQUE("staff_id","item_kind","item_id","level");--> statement-breakpoint
ALTER TABLE "nudges" DROP COLUMN "id";--> statement-breakpoint
ALTER TABLE "nudges" DROP CONSTRAINT "nudges_item_level";--> statement-breakpoint
ALTER TABLE "nudges" ADD CONSTRAINT "nudges_item_level" PRIMARY KEY("item_kind","item_id","level");
