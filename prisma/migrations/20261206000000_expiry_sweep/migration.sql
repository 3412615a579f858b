-- The worker's expiry sweep: scheduled messages and unfinished bulks whose expiry has passed, earliest first. Both
-- indexes hold only what the sweep looks for (rows with an expiry, bulks not finished yet), so each sweep reads a few
-- index entries however large the tables grow. Prisma's schema language cannot express a partial index, so they
-- live here. Neither is on messages, whose indexes hold no status.
CREATE INDEX "scheduled_sends_expires_at_idx" ON "scheduled_sends"("expires_at") WHERE "expires_at" IS NOT NULL;

CREATE INDEX "bulk_jobs_unfinished_expires_at_idx" ON "bulk_jobs"("expires_at")
  WHERE "expires_at" IS NOT NULL AND "status" IN ('queued', 'running', 'paused');
