-- Scheduled and expiring sends. A scheduled message waits as `scheduled` in the log, with what it needs until it
-- leaves in scheduled_sends, so no index of messages holds anything new and its status changes stay HOT updates.
ALTER TYPE "MessageStatus" ADD VALUE 'scheduled';
ALTER TYPE "MessageStatus" ADD VALUE 'cancelled';
ALTER TYPE "MessageStatus" ADD VALUE 'expired';

ALTER TYPE "BulkStatus" ADD VALUE 'scheduled';

ALTER TYPE "RecipientStatus" ADD VALUE 'expired';

ALTER TABLE "bulk_jobs" ADD COLUMN "send_at" TIMESTAMP(3),
ADD COLUMN "expires_at" TIMESTAMP(3);

CREATE TABLE "scheduled_sends" (
    "message_id" BIGINT NOT NULL,
    "client_id" INTEGER NOT NULL,
    "send_at" TIMESTAMP(3) NOT NULL,
    "expires_at" TIMESTAMP(3),
    "payload" JSONB NOT NULL,
    "lease_until" TIMESTAMP(3),
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "scheduled_sends_pkey" PRIMARY KEY ("message_id")
);

-- The poller's walk: due rows, earliest first.
CREATE INDEX "scheduled_sends_send_at_idx" ON "scheduled_sends"("send_at");

CREATE INDEX "bulk_jobs_status_send_at_idx" ON "bulk_jobs"("status", "send_at");

ALTER TABLE "scheduled_sends" ADD CONSTRAINT "scheduled_sends_message_id_fkey" FOREIGN KEY ("message_id") REFERENCES "messages"("id") ON DELETE CASCADE ON UPDATE CASCADE;
