-- A bulk recipient can be skipped on purpose (send-bulk's check_numbers: not on WhatsApp).
ALTER TYPE "RecipientStatus" ADD VALUE 'skipped';

ALTER TABLE "bulk_jobs" ADD COLUMN "check_numbers" BOOLEAN NOT NULL DEFAULT false;
