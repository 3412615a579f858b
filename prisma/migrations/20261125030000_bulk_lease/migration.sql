-- AlterTable
ALTER TABLE "bulk_jobs" ADD COLUMN     "lease_owner" TEXT,
ADD COLUMN     "lease_until" TIMESTAMP(3);

