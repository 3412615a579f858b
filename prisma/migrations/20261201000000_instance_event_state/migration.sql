-- The connection state the upstream's connection.update events last reported. Tenants are told its changes only:
-- status polls keep writing "status", which a retrying upstream flips between close and connecting (contract §12).
ALTER TABLE "instances" ADD COLUMN "event_state" "InstanceStatus";

-- Until now the status was what the events last said: the next repeat must not look like news.
UPDATE "instances" SET "event_state" = "status" WHERE "status" <> 'pending';
