-- Instance names are unique among live instances only, so a deleted instance's name can be used again
-- while its message logs stay. Prisma's schema language cannot express a partial index, so it lives here.
DROP INDEX "instances_name_key";

CREATE UNIQUE INDEX "instances_name_live_key" ON "instances"("name") WHERE "deleted_at" IS NULL;
