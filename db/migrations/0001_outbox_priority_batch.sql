ALTER TABLE "outbox" ADD COLUMN "priority" text DEFAULT 'normal' NOT NULL;--> statement-breakpoint
ALTER TABLE "outbox" ADD COLUMN "batch" text;--> statement-breakpoint
CREATE INDEX "outbox_batch" ON "outbox" USING btree ("batch");--> statement-breakpoint
CREATE INDEX "outbox_sent_at" ON "outbox" USING btree ("sent_at") WHERE status = 'sent';