-- The upstream reported the number logged out, banned or refused: sends are refused and bulks paused until it is open.
ALTER TABLE "instances" ADD COLUMN "restriction" TEXT,
ADD COLUMN "restriction_status" INTEGER,
ADD COLUMN "restricted_at" TIMESTAMP(3);
