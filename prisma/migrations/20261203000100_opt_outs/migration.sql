-- The clients' suppression lists (opt-outs) and the keywords that put a number on the list and take it off.
-- CreateEnum
CREATE TYPE "OptOutSource" AS ENUM ('keyword', 'api', 'import');

-- AlterTable
ALTER TABLE "clients" ADD COLUMN     "opt_in_keywords" TEXT[] DEFAULT ARRAY['START', 'UNSTOP']::TEXT[],
ADD COLUMN     "opt_out_keywords" TEXT[] DEFAULT ARRAY['STOP', 'UNSUBSCRIBE', 'STOPALL', 'CANCEL', 'END', 'QUIT']::TEXT[];

-- CreateTable
CREATE TABLE "opt_outs" (
    "id" BIGSERIAL NOT NULL,
    "client_id" INTEGER NOT NULL,
    "number" TEXT NOT NULL,
    "source" "OptOutSource" NOT NULL,
    "keyword" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "opt_outs_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "opt_outs_client_id_id_idx" ON "opt_outs"("client_id", "id" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "opt_outs_client_id_number_key" ON "opt_outs"("client_id", "number");

-- AddForeignKey
ALTER TABLE "opt_outs" ADD CONSTRAINT "opt_outs_client_id_fkey" FOREIGN KEY ("client_id") REFERENCES "clients"("id") ON DELETE CASCADE ON UPDATE CASCADE;

