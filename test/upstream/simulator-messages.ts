import type { InboundMessage, OutgoingContent, SimulatorEngine } from './simulator-engine';
import {
  createJid,
  ids,
  jidUser,
  MessageKey,
  MessageStatus,
  SimInstance,
  StoredMessage,
  unixSeconds,
} from './simulator-state';

// Messages an instance sends and receives (contract §2.2, §4.4, §5), and the webhooks that follow them.

/** The `prepareMessage()` object (contract §2.2): the send response and the `send.message` data. */
export function renderMessage(m: StoredMessage): Record<string, unknown> {
  return {
    key: { ...m.key },
    pushName: m.pushName,
    status: m.status,
    message: m.message,
    messageType: m.messageType,
    messageTimestamp: m.messageTimestamp,
    instanceId: m.instanceId,
    source: m.source,
  };
}

export function recordOutgoing(
  engine: SimulatorEngine,
  inst: SimInstance,
  remoteJid: string,
  content: OutgoingContent,
): StoredMessage {
  const message = store(inst, { remoteJid, fromMe: true, id: ids.messageId() }, content, {
    pushName: 'Você', // contract §2.2: hard-coded for own messages
    status: 'PENDING',
    source: 'web',
  });
  scheduleStatusTrail(engine, inst, message, renderMessage(message));
  return message;
}

/** Inbound message from a contact (contract §4.4 messages.upsert; received messages are DELIVERY_ACK). */
export function receiveMessage(engine: SimulatorEngine, inst: SimInstance, inbound: InboundMessage): StoredMessage {
  const remoteJid = createJid(inbound.from);
  const message = store(
    inst,
    { remoteJid, fromMe: false, id: ids.messageId() },
    { message: { conversation: inbound.text }, messageType: 'conversation' },
    { pushName: inbound.pushName ?? jidUser(remoteJid), status: 'DELIVERY_ACK', source: 'android' },
  );
  engine.emit(inst, 'messages.upsert', renderMessage(message));
  return message;
}

export function markDeleted(engine: SimulatorEngine, inst: SimInstance, key: MessageKey): void {
  const stored = inst.messages.find((m) => m.key.id === key.id && m.key.remoteJid === key.remoteJid);
  if (stored) stored.status = 'DELETED';
  engine.emit(inst, 'messages.delete', key);
}

function store(
  inst: SimInstance,
  key: MessageKey,
  content: OutgoingContent,
  meta: { pushName: string; status: MessageStatus; source: string },
): StoredMessage {
  const message: StoredMessage = {
    dbId: ids.rowId(),
    key,
    pushName: meta.pushName,
    status: meta.status,
    message: content.message,
    messageType: content.messageType,
    messageTimestamp: unixSeconds(),
    instanceId: inst.id,
    source: meta.source,
    statusHistory: [],
  };
  inst.messages.push(message);
  return message;
}

/**
 * contract §4.4: `send.message` carries the send response; `messages.update` then reports each
 * ack. The trail has its own chain so concurrent sends do not wait for each other.
 */
function scheduleStatusTrail(
  engine: SimulatorEngine,
  inst: SimInstance,
  message: StoredMessage,
  sent: Record<string, unknown>,
): void {
  const chain = `message:${message.key.id}`;
  engine.webhooks.enqueue(chain, 0, () => engine.deliverNow(inst, 'send.message', sent));
  for (const status of engine.ackSequence) {
    engine.webhooks.enqueue(chain, engine.options.ackDelayMs, () => {
      if (inst.deleted) return Promise.resolve();
      message.status = status;
      message.statusHistory.push(status);
      return engine.deliverNow(inst, 'messages.update', {
        keyId: message.key.id,
        remoteJid: message.key.remoteJid,
        fromMe: true,
        status,
        instanceId: inst.id,
        // contract §4.4: the DB row id, present because the simulator "saves" messages.
        messageId: message.dbId,
      });
    });
  }
}
