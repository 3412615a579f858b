-- AlterTable
ALTER TABLE "webhook_deliveries" ADD COLUMN     "lease_until" TIMESTAMP(3);
