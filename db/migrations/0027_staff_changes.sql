-- Every change to staff (through Gaizao or by hand) tells the processes that cache who a token belongs to:
-- one notification per statement, delivered at commit.
CREATE OR REPLACE FUNCTION gaizao_staff_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('gaizao_staff', '');
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER staff_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON staff
  FOR EACH STATEMENT EXECUTE FUNCTION gaizao_staff_changed();
