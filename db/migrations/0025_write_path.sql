-- Issue 14, the write path: a call-centre filing (代录) finds its caller by phone with one index probe
-- instead of scanning every resident; residents known only by WeChat have no phone and no entry.
CREATE INDEX IF NOT EXISTS "residents_phone" ON "residents" USING btree ("phone") WHERE phone is not null;
