-- Never written (api_keys.last_used_at) and never read (bulk_recipients.scheduled_at).
ALTER TABLE "api_keys" DROP COLUMN "last_used_at";

ALTER TABLE "bulk_recipients" DROP COLUMN "scheduled_at";
