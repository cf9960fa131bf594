-- Removes the durable-x tables (default names) and every run they hold.
DROP TABLE IF EXISTS "public"."durable_x_cleanups";
DROP TABLE IF EXISTS "public"."durable_x_steps";
DROP TABLE IF EXISTS "public"."durable_x_runs";
