-- An operator's explicit permission for a send interval below 1000 ms on WhatsApp Web (Baileys) instances.
ALTER TABLE "clients" ADD COLUMN "pacing_override" BOOLEAN NOT NULL DEFAULT false;
