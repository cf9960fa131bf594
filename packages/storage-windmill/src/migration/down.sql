-- Removes the durable-x tables (default names), every run they hold, and the claim function.
DROP FUNCTION IF EXISTS "public"."durable_x_claim"(text, text, bigint, bigint, text, bigint);
DROP TABLE IF EXISTS "public"."durable_x_cleanups";
DROP TABLE IF EXISTS "public"."durable_x_steps";
DROP TABLE IF EXISTS "public"."durable_x_runs";
