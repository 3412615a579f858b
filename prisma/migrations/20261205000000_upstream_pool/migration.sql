-- The column that held the instance's id on the upstream server keeps it under a clearer name, and upstream_id now
-- names the pooled upstream server the instance lives on. Instances made before the pool are adopted by the first
-- upstream at boot (it is created from EVOLUTION_API_URL and EVOLUTION_API_KEY when the table is empty).
ALTER TABLE "instances" RENAME COLUMN "upstream_id" TO "upstream_instance_id";

CREATE TABLE "upstreams" (
    "id" SERIAL NOT NULL,
    "name" TEXT NOT NULL,
    "url" TEXT NOT NULL,
    "api_key_encrypted" TEXT NOT NULL,
    "capacity" INTEGER NOT NULL,
    "draining" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "upstreams_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "upstreams_name_key" ON "upstreams"("name");

ALTER TABLE "instances" ADD COLUMN "upstream_id" INTEGER;

CREATE INDEX "instances_upstream_id_idx" ON "instances"("upstream_id");

ALTER TABLE "instances" ADD CONSTRAINT "instances_upstream_id_fkey" FOREIGN KEY ("upstream_id") REFERENCES "upstreams"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
