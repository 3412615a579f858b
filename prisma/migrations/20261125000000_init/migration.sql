-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "ApiKeyKind" AS ENUM ('client', 'instance');

-- CreateEnum
CREATE TYPE "InstanceStatus" AS ENUM ('pending', 'connecting', 'open', 'close', 'refused');

-- CreateEnum
CREATE TYPE "MessageStatus" AS ENUM ('queued', 'sent', 'delivered', 'read', 'failed');

-- CreateEnum
CREATE TYPE "MessageSource" AS ENUM ('api', 'bulk', 'passthrough');

-- CreateEnum
CREATE TYPE "BulkStatus" AS ENUM ('queued', 'running', 'paused', 'completed', 'cancelled');

-- CreateEnum
CREATE TYPE "RecipientStatus" AS ENUM ('pending', 'sending', 'sent', 'delivered', 'read', 'failed', 'cancelled');

-- CreateEnum
CREATE TYPE "DeliveryStatus" AS ENUM ('pending', 'retrying', 'succeeded', 'dead');

-- CreateTable
CREATE TABLE "admin_users" (
    "id" SERIAL NOT NULL,
    "username" TEXT NOT NULL,
    "password_hash" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_login_at" TIMESTAMP(3),

    CONSTRAINT "admin_users_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "clients" (
    "id" SERIAL NOT NULL,
    "name" TEXT NOT NULL,
    "active" BOOLEAN NOT NULL DEFAULT true,
    "rate_limit" INTEGER NOT NULL DEFAULT 60,
    "daily_cap" INTEGER NOT NULL DEFAULT 250,
    "max_instances" INTEGER NOT NULL DEFAULT 10,
    "webhook_url" TEXT,
    "send_interval_ms" INTEGER NOT NULL DEFAULT 1000,
    "jitter_min_ms" INTEGER NOT NULL DEFAULT 1000,
    "jitter_max_ms" INTEGER NOT NULL DEFAULT 5000,
    "strict_content_guard" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,
    "deleted_at" TIMESTAMP(3),

    CONSTRAINT "clients_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "api_keys" (
    "id" SERIAL NOT NULL,
    "client_id" INTEGER NOT NULL,
    "instance_id" UUID,
    "kind" "ApiKeyKind" NOT NULL,
    "key_hash" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "expires_at" TIMESTAMP(3),
    "revoked_at" TIMESTAMP(3),
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_used_at" TIMESTAMP(3),

    CONSTRAINT "api_keys_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "instances" (
    "id" UUID NOT NULL,
    "client_id" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "upstream_id" TEXT,
    "integration" TEXT NOT NULL DEFAULT 'WHATSAPP-BAILEYS',
    "token_encrypted" TEXT NOT NULL,
    "webhook_secret_encrypted" TEXT NOT NULL,
    "webhook_url" TEXT,
    "webhook_events" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "webhook_enabled" BOOLEAN NOT NULL DEFAULT true,
    "status" "InstanceStatus" NOT NULL DEFAULT 'pending',
    "owner_jid" TEXT,
    "status_changed_at" TIMESTAMP(3),
    "token_checked_at" TIMESTAMP(3),
    "drift_note" TEXT,
    "drift_at" TIMESTAMP(3),
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,
    "deleted_at" TIMESTAMP(3),

    CONSTRAINT "instances_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "messages" (
    "id" BIGSERIAL NOT NULL,
    "client_id" INTEGER NOT NULL,
    "instance_id" UUID NOT NULL,
    "bulk_id" UUID,
    "source" "MessageSource" NOT NULL DEFAULT 'api',
    "number" TEXT NOT NULL,
    "message_type" TEXT NOT NULL,
    "status" "MessageStatus" NOT NULL DEFAULT 'queued',
    "upstream_message_id" TEXT,
    "error" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,
    "sent_at" TIMESTAMP(3),
    "delivered_at" TIMESTAMP(3),
    "read_at" TIMESTAMP(3),
    "failed_at" TIMESTAMP(3),

    CONSTRAINT "messages_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "bulk_jobs" (
    "id" UUID NOT NULL,
    "client_id" INTEGER NOT NULL,
    "instance_id" UUID NOT NULL,
    "message" TEXT NOT NULL,
    "delay_ms" INTEGER NOT NULL,
    "status" "BulkStatus" NOT NULL DEFAULT 'queued',
    "pause_reason" TEXT,
    "total" INTEGER NOT NULL,
    "warnings" JSONB NOT NULL DEFAULT '[]',
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,
    "started_at" TIMESTAMP(3),
    "finished_at" TIMESTAMP(3),

    CONSTRAINT "bulk_jobs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "bulk_recipients" (
    "id" BIGSERIAL NOT NULL,
    "bulk_id" UUID NOT NULL,
    "client_id" INTEGER NOT NULL,
    "position" INTEGER NOT NULL,
    "number" TEXT NOT NULL,
    "variables" JSONB,
    "status" "RecipientStatus" NOT NULL DEFAULT 'pending',
    "message_id" BIGINT,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "error" TEXT,
    "scheduled_at" TIMESTAMP(3),
    "sent_at" TIMESTAMP(3),
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "bulk_recipients_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "usage_daily" (
    "client_id" INTEGER NOT NULL,
    "instance_id" UUID NOT NULL,
    "day" DATE NOT NULL,
    "message_type" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "sent" INTEGER NOT NULL DEFAULT 0,
    "delivered" INTEGER NOT NULL DEFAULT 0,
    "read" INTEGER NOT NULL DEFAULT 0,
    "failed" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "usage_daily_pkey" PRIMARY KEY ("client_id","day","instance_id","message_type")
);

-- CreateTable
CREATE TABLE "upstream_events" (
    "instance_id" UUID NOT NULL,
    "dedupe_key" TEXT NOT NULL,
    "event" TEXT NOT NULL,
    "received_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "upstream_events_pkey" PRIMARY KEY ("instance_id","dedupe_key")
);

-- CreateTable
CREATE TABLE "webhook_deliveries" (
    "id" UUID NOT NULL,
    "client_id" INTEGER NOT NULL,
    "instance_id" UUID NOT NULL,
    "event" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "url" TEXT NOT NULL,
    "status" "DeliveryStatus" NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_status_code" INTEGER,
    "last_error" TEXT,
    "next_attempt_at" TIMESTAMP(3),
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "delivered_at" TIMESTAMP(3),

    CONSTRAINT "webhook_deliveries_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "idempotency_keys" (
    "client_id" INTEGER NOT NULL,
    "key" TEXT NOT NULL,
    "request_hash" TEXT NOT NULL,
    "response_status" INTEGER,
    "response_body" JSONB,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "idempotency_keys_pkey" PRIMARY KEY ("client_id","key")
);

-- CreateTable
CREATE TABLE "audit_events" (
    "id" BIGSERIAL NOT NULL,
    "actor_type" TEXT NOT NULL,
    "actor_id" TEXT,
    "client_id" INTEGER,
    "action" TEXT NOT NULL,
    "target_type" TEXT NOT NULL,
    "target_id" TEXT,
    "details" JSONB,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "audit_events_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "admin_users_username_key" ON "admin_users"("username");

-- CreateIndex
CREATE UNIQUE INDEX "api_keys_key_hash_key" ON "api_keys"("key_hash");

-- CreateIndex
CREATE INDEX "api_keys_client_id_kind_idx" ON "api_keys"("client_id", "kind");

-- CreateIndex
CREATE INDEX "api_keys_instance_id_idx" ON "api_keys"("instance_id");

-- CreateIndex
CREATE UNIQUE INDEX "instances_name_key" ON "instances"("name");

-- CreateIndex
CREATE INDEX "instances_client_id_created_at_idx" ON "instances"("client_id", "created_at");

-- CreateIndex
CREATE INDEX "instances_client_id_status_idx" ON "instances"("client_id", "status");

-- CreateIndex
CREATE INDEX "messages_client_id_created_at_id_idx" ON "messages"("client_id", "created_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "messages_client_id_status_created_at_idx" ON "messages"("client_id", "status", "created_at" DESC);

-- CreateIndex
CREATE INDEX "messages_client_id_instance_id_created_at_idx" ON "messages"("client_id", "instance_id", "created_at" DESC);

-- CreateIndex
CREATE INDEX "messages_client_id_bulk_id_idx" ON "messages"("client_id", "bulk_id");

-- CreateIndex
CREATE INDEX "messages_upstream_message_id_idx" ON "messages"("upstream_message_id");

-- CreateIndex
CREATE INDEX "bulk_jobs_client_id_created_at_idx" ON "bulk_jobs"("client_id", "created_at" DESC);

-- CreateIndex
CREATE INDEX "bulk_jobs_instance_id_status_idx" ON "bulk_jobs"("instance_id", "status");

-- CreateIndex
CREATE UNIQUE INDEX "bulk_recipients_message_id_key" ON "bulk_recipients"("message_id");

-- CreateIndex
CREATE INDEX "bulk_recipients_bulk_id_status_position_idx" ON "bulk_recipients"("bulk_id", "status", "position");

-- CreateIndex
CREATE UNIQUE INDEX "bulk_recipients_bulk_id_position_key" ON "bulk_recipients"("bulk_id", "position");

-- CreateIndex
CREATE INDEX "upstream_events_received_at_idx" ON "upstream_events"("received_at");

-- CreateIndex
CREATE INDEX "webhook_deliveries_client_id_status_created_at_idx" ON "webhook_deliveries"("client_id", "status", "created_at" DESC);

-- CreateIndex
CREATE INDEX "webhook_deliveries_client_id_created_at_idx" ON "webhook_deliveries"("client_id", "created_at" DESC);

-- CreateIndex
CREATE INDEX "webhook_deliveries_status_next_attempt_at_idx" ON "webhook_deliveries"("status", "next_attempt_at");

-- CreateIndex
CREATE INDEX "idempotency_keys_expires_at_idx" ON "idempotency_keys"("expires_at");

-- CreateIndex
CREATE INDEX "audit_events_client_id_created_at_idx" ON "audit_events"("client_id", "created_at" DESC);

-- CreateIndex
CREATE INDEX "audit_events_created_at_idx" ON "audit_events"("created_at" DESC);

-- AddForeignKey
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_client_id_fkey" FOREIGN KEY ("client_id") REFERENCES "clients"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_instance_id_fkey" FOREIGN KEY ("instance_id") REFERENCES "instances"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "instances" ADD CONSTRAINT "instances_client_id_fkey" FOREIGN KEY ("client_id") REFERENCES "clients"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "messages" ADD CONSTRAINT "messages_instance_id_fkey" FOREIGN KEY ("instance_id") REFERENCES "instances"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "messages" ADD CONSTRAINT "messages_bulk_id_fkey" FOREIGN KEY ("bulk_id") REFERENCES "bulk_jobs"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "bulk_jobs" ADD CONSTRAINT "bulk_jobs_instance_id_fkey" FOREIGN KEY ("instance_id") REFERENCES "instances"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "bulk_recipients" ADD CONSTRAINT "bulk_recipients_bulk_id_fkey" FOREIGN KEY ("bulk_id") REFERENCES "bulk_jobs"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "bulk_recipients" ADD CONSTRAINT "bulk_recipients_message_id_fkey" FOREIGN KEY ("message_id") REFERENCES "messages"("id") ON DELETE SET NULL ON UPDATE CASCADE;

