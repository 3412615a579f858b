-- CreateTable
CREATE TABLE "message_counts" (
    "client_id" INTEGER NOT NULL,
    "instance_id" UUID NOT NULL,
    "status" "MessageStatus" NOT NULL,
    "count" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "message_counts_pkey" PRIMARY KEY ("client_id","instance_id","status")
);

