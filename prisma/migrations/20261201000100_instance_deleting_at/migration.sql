-- Set while the gateway deletes the instance upstream: from then on its events are absorbed, never forwarded.
ALTER TABLE "instances" ADD COLUMN "deleting_at" TIMESTAMP(3);
