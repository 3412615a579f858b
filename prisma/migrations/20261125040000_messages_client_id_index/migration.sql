-- CreateIndex
CREATE INDEX "messages_client_id_id_idx" ON "messages"("client_id", "id" DESC);

