ALTER TABLE "requests" ADD COLUMN "withdrawal_asked_at" timestamp with time zone;--> statement-breakpoint
-- Withdrawals asked before this column, on requests still open: from the requests' histories.
UPDATE "requests" SET "withdrawal_asked_at" = e.last
FROM (SELECT "request_id", max("at") AS last FROM "request_events" WHERE "kind" = 'withdrawal_asked' GROUP BY "request_id") e
WHERE "requests"."id" = e."request_id" AND "requests"."status" IN ('submitted', 'accepted');
