ALTER TABLE "watches" DROP COLUMN "id";--> statement-breakpoint
ALTER TABLE "watches" DROP CONSTRAINT "watches_item";--> statement-breakpoint
ALTER TABLE "watches" ADD CONSTRAINT "watches_item" PRIMARY KEY("item_kind","item_id");
