DROP INDEX "outbox_batch";--> statement-breakpoint
CREATE INDEX "outbox_batch" ON "outbox" USING btree ("batch") WHERE batch is not null;