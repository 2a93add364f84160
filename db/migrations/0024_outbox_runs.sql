CREATE INDEX "outbox_sending" ON "outbox" USING btree ("id") WHERE status = 'sending';
