ALTER TABLE "notices" ADD COLUMN "attachment_ids" integer[] DEFAULT '{}' NOT NULL;--> statement-breakpoint
ALTER TABLE "publicities" ADD COLUMN "attachment_ids" integer[] DEFAULT '{}' NOT NULL;