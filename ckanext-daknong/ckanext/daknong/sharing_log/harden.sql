-- Hand the sharing log (NĐ 47 Art. 45) to a role the application does not hold.
-- Run by `ckan daknong sharing-log harden --admin-url …` as a PostgreSQL superuser, after the
-- plugin's migrations. Afterwards the application role (:app_role) may only read and append:
-- it cannot UPDATE, DELETE or TRUNCATE log rows, drop the triggers or grant itself more.
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'daknong_sharing_log_owner') THEN
    CREATE ROLE daknong_sharing_log_owner NOLOGIN;
  END IF;
END $$;
ALTER SCHEMA daknong_sharing_log OWNER TO daknong_sharing_log_owner;
ALTER TABLE daknong_sharing_log.entry OWNER TO daknong_sharing_log_owner;
ALTER TABLE daknong_sharing_log.checkpoint OWNER TO daknong_sharing_log_owner;
ALTER TABLE daknong_sharing_log.tombstone OWNER TO daknong_sharing_log_owner;
ALTER FUNCTION daknong_sharing_log.refuse_change() OWNER TO daknong_sharing_log_owner;
ALTER FUNCTION daknong_sharing_log.prune(bigint[], text, text) OWNER TO daknong_sharing_log_owner;
REVOKE ALL ON SCHEMA daknong_sharing_log FROM PUBLIC;
GRANT USAGE ON SCHEMA daknong_sharing_log TO :app_role;
REVOKE ALL ON daknong_sharing_log.entry, daknong_sharing_log.checkpoint,
  daknong_sharing_log.tombstone FROM PUBLIC, :app_role;
GRANT SELECT, INSERT ON daknong_sharing_log.entry, daknong_sharing_log.checkpoint TO :app_role;
GRANT SELECT ON daknong_sharing_log.tombstone TO :app_role;
GRANT EXECUTE ON FUNCTION daknong_sharing_log.prune(bigint[], text, text) TO :app_role;
