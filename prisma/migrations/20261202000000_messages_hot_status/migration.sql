-- A message's status changes three times after it is sent (sent, delivered, read). With `status` in an index, each
-- change wrote a new entry into every index of the log (six of them). Without it, and with room left on each page,
-- Postgres updates the row in place (a HOT update) and touches no index. The status filter of the log walks the
-- (client_id, id) index instead, and its totals come from message_counts.
DROP INDEX IF EXISTS "messages_client_id_status_created_at_idx";
ALTER TABLE "messages" SET (fillfactor = 70);
