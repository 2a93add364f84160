ALTER TABLE "requests" ADD COLUMN "urge_count" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "requests" ADD COLUMN "last_urged_at" timestamp with time zone;--> statement-breakpoint
-- Chases recorded before these columns: counted from the requests' histories.
UPDATE "requests" SET "urge_count" = e.n, "last_urged_at" = e.last
FROM (SELECT "request_id", count(*)::int AS n, max("at") AS last FROM "request_events" WHERE "kind" = 'urged' GROUP BY "request_id") e
WHERE "requests"."id" = e."request_id";
