DROP TABLE IF EXISTS maintenance_runs;
DROP TABLE IF EXISTS auth_events;
