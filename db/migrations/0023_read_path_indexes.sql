CREATE INDEX "requests_xiaoqu_status_id" ON "requests" USING btree ("xiaoqu_id","status","id");--> statement-breakpoint
DROP INDEX IF EXISTS "requests_assignee";--> statement-breakpoint
CREATE INDEX "requests_assignee_id" ON "requests" USING btree ("assignee_staff_id","id");--> statement-breakpoint
DROP INDEX IF EXISTS "requests_category_id";--> statement-breakpoint
CREATE INDEX "requests_category_id_xiaoqu" ON "requests" USING btree ("category","id","xiaoqu_id");
