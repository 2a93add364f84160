-- Requests filed before the nudge engine moved to `watches` (0011) get their deadlines watched too.
-- Their ladder restarts at the owner's rung; rungs already sent stay sent (the nudges table's unique key).
INSERT INTO "watches" ("item_kind", "item_id", "label", "ref", "scope_path", "place_name", "owner_staff_id", "due_at", "urgent", "next_level", "next_at", "closed_at")
SELECT 'request-response', r."id", '诉求 ' || r."number" || '【' || r."category" || '】', r."number",
       coalesce(x."path", '/'), coalesce(x."name", ''), r."assignee_staff_id", r."response_due_at", r."urgency" = 'urgent',
       1, CASE WHEN r."status" = 'submitted' THEN r."response_due_at" END,
       CASE WHEN r."status" = 'submitted' THEN NULL ELSE now() END
FROM "requests" r LEFT JOIN "xiaoqu" x ON x."id" = r."xiaoqu_id"
ON CONFLICT ("item_kind", "item_id") DO NOTHING;
--> statement-breakpoint
INSERT INTO "watches" ("item_kind", "item_id", "label", "ref", "scope_path", "place_name", "owner_staff_id", "due_at", "urgent", "next_level", "next_at", "closed_at")
SELECT 'request-resolution', r."id", '诉求 ' || r."number" || '【' || r."category" || '】', r."number",
       coalesce(x."path", '/'), coalesce(x."name", ''), r."assignee_staff_id", r."resolution_due_at", r."urgency" = 'urgent',
       1, CASE WHEN r."status" IN ('submitted', 'accepted') THEN r."resolution_due_at" END,
       CASE WHEN r."status" IN ('submitted', 'accepted') THEN NULL ELSE now() END
FROM "requests" r LEFT JOIN "xiaoqu" x ON x."id" = r."xiaoqu_id"
ON CONFLICT ("item_kind", "item_id") DO NOTHING;
