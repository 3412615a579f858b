-- A rotated webhook secret keeps signing beside the new one until its grace period ends.
ALTER TABLE "instances" ADD COLUMN "webhook_secret_previous_encrypted" TEXT,
ADD COLUMN "webhook_secret_previous_expires_at" TIMESTAMP(3);
