import { Schema } from './simulator-validation';

/**
 * Request schemas of the routes the simulator serves, transcribed from `src/validate/*.schema.ts`
 * at 2.3.6 (contract §2). Only the keywords that change a status or a message are kept.
 */

/** `EventController.events` (contract §11: `events: []` stores all 31 of them). */
export const ALL_EVENTS = [
  'APPLICATION_STARTUP',
  'QRCODE_UPDATED',
  'MESSAGES_SET',
  'MESSAGES_UPSERT',
  'MESSAGES_EDITED',
  'MESSAGES_UPDATE',
  'MESSAGES_DELETE',
  'SEND_MESSAGE',
  'SEND_MESSAGE_UPDATE',
  'CONTACTS_SET',
  'CONTACTS_UPSERT',
  'CONTACTS_UPDATE',
  'PRESENCE_UPDATE',
  'CHATS_SET',
  'CHATS_UPSERT',
  'CHATS_UPDATE',
  'CHATS_DELETE',
  'GROUPS_UPSERT',
  'GROUP_UPDATE',
  'GROUP_PARTICIPANTS_UPDATE',
  'CONNECTION_UPDATE',
  'LABELS_EDIT',
  'LABELS_ASSOCIATION',
  'CALL',
  'TYPEBOT_START',
  'TYPEBOT_CHANGE_STATUS',
  'REMOVE_INSTANCE',
  'LOGOUT_INSTANCE',
  'INSTANCE_CREATE',
  'INSTANCE_DELETE',
  'STATUS_INSTANCE',
] as const;

const numberDefinition: Schema = { type: 'string', description: 'Invalid format' };
const delayDefinition: Schema = { type: 'integer', description: 'Enter a value in milliseconds' };
const mentionedDefinition: Schema = {
  type: 'array',
  minItems: 1,
  uniqueItems: true,
  items: { type: 'string', pattern: '^\\d+', description: '"mentioned" must be an array of numeric strings' },
};
const quotedDefinition: Schema = {
  properties: {
    key: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
    message: { type: 'object' },
  },
};

/** Options every send accepts (contract §2.2 "Common optional fields"). */
function sendSchema(properties: Record<string, Schema>, required: readonly string[]): Schema {
  return {
    type: 'object',
    properties: {
      number: numberDefinition,
      delay: delayDefinition,
      quoted: quotedDefinition,
      linkPreview: { type: 'boolean' },
      mentionsEveryOne: { type: 'boolean' },
      mentioned: mentionedDefinition,
      ...properties,
    },
    required,
  };
}

export const SEND_SCHEMAS = {
  sendText: sendSchema({ text: { type: 'string' } }, ['number', 'text']),
  sendMedia: sendSchema(
    {
      mediatype: { type: 'string', enum: ['image', 'document', 'video', 'audio'] },
      mimetype: { type: 'string' },
      media: { type: 'string' },
      fileName: { type: 'string' },
      caption: { type: 'string' },
    },
    ['number', 'mediatype'],
  ),
  sendWhatsAppAudio: sendSchema({ audio: { type: 'string' } }, ['number']),
  sendSticker: sendSchema({ sticker: { type: 'string' } }, ['number']),
  sendLocation: sendSchema(
    {
      latitude: { type: 'number' },
      longitude: { type: 'number' },
      name: { type: 'string' },
      address: { type: 'string' },
    },
    ['number', 'latitude', 'longitude', 'name', 'address'],
  ),
  sendContact: sendSchema(
    {
      contact: {
        type: 'array',
        minItems: 1,
        uniqueItems: true,
        items: {
          type: 'object',
          properties: {
            fullName: { type: 'string' },
            wuid: { type: 'string', minLength: 10, pattern: '\\d+', description: '"wuid" must be a numeric string' },
            phoneNumber: { type: 'string', minLength: 10 },
            organization: { type: 'string' },
            email: { type: 'string' },
            url: { type: 'string' },
          },
          required: ['fullName', 'phoneNumber'],
        },
      },
    },
    ['number', 'contact'],
  ),
  sendPoll: sendSchema(
    {
      name: { type: 'string' },
      selectableCount: { type: 'integer', minimum: 0, maximum: 10 },
      values: { type: 'array', minItems: 2, maxItems: 10, uniqueItems: true, items: { type: 'string' } },
    },
    ['number', 'name', 'selectableCount', 'values'],
  ),
  sendButtons: sendSchema(
    {
      thumbnailUrl: { type: 'string' },
      title: { type: 'string' },
      description: { type: 'string' },
      footer: { type: 'string' },
      buttons: {
        type: 'array',
        items: {
          type: 'object',
          properties: { type: { type: 'string', enum: ['reply', 'copy', 'url', 'call', 'pix'] } },
          required: ['type'],
        },
      },
    },
    ['number'],
  ),
  sendReaction: {
    type: 'object',
    properties: {
      key: {
        type: 'object',
        properties: { id: { type: 'string' }, remoteJid: { type: 'string' }, fromMe: { type: 'boolean' } },
        required: ['id', 'remoteJid', 'fromMe'],
      },
      reaction: { type: 'string' },
    },
    required: ['key', 'reaction'],
  },
} satisfies Record<string, Schema>;

export type SendAction = keyof typeof SEND_SCHEMAS;

export const INSTANCE_CREATE_SCHEMA: Schema = {
  type: 'object',
  properties: {
    instanceName: { type: 'string' },
    token: { type: 'string' },
    number: { type: 'string', pattern: '^\\d+[\\.@\\w-]+' },
    qrcode: { type: 'boolean' },
    rejectCall: { type: 'boolean' },
    msgCall: { type: 'string' },
    groupsIgnore: { type: 'boolean' },
    alwaysOnline: { type: 'boolean' },
    readMessages: { type: 'boolean' },
    readStatus: { type: 'boolean' },
    syncFullHistory: { type: 'boolean' },
  },
};

export const PRESENCE_SCHEMA: Schema = {
  type: 'object',
  properties: { presence: { type: 'string', enum: ['unavailable', 'available', 'composing', 'recording', 'paused'] } },
  required: ['presence'],
};

export const WHATSAPP_NUMBERS_SCHEMA: Schema = {
  type: 'object',
  properties: {
    numbers: {
      type: 'array',
      minItems: 1,
      uniqueItems: true,
      items: { type: 'string', description: '"numbers" must be an array of numeric strings' },
    },
  },
};

export const FIND_MESSAGES_SCHEMA: Schema = {
  type: 'object',
  properties: { where: { type: 'object' }, page: { type: 'integer' }, offset: { type: 'integer' } },
};

export const READ_MESSAGES_SCHEMA: Schema = {
  type: 'object',
  properties: {
    readMessages: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        properties: { id: { type: 'string' }, fromMe: { type: 'boolean' }, remoteJid: { type: 'string' } },
        required: ['id', 'fromMe', 'remoteJid'],
      },
    },
  },
  required: ['readMessages'],
};

export const PROFILE_PICTURE_SCHEMA: Schema = {
  type: 'object',
  properties: { number: { type: 'string' } },
};

export const DELETE_MESSAGE_SCHEMA: Schema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    fromMe: { type: 'boolean' },
    remoteJid: { type: 'string' },
    participant: { type: 'string' },
  },
  required: ['id', 'fromMe', 'remoteJid'],
};

const participantsDefinition: Schema = {
  type: 'array',
  minItems: 1,
  uniqueItems: true,
  items: {
    type: 'string',
    minLength: 10,
    pattern: '\\d+',
    description: '"participants" must be an array of numeric strings',
  },
};

export const GROUP_CREATE_SCHEMA: Schema = {
  type: 'object',
  properties: {
    subject: { type: 'string' },
    description: { type: 'string' },
    promoteParticipants: { type: 'boolean' },
    participants: participantsDefinition,
  },
  required: ['subject', 'participants'],
};

export const UPDATE_PARTICIPANTS_SCHEMA: Schema = {
  type: 'object',
  properties: {
    groupJid: { type: 'string' },
    action: { type: 'string', enum: ['add', 'remove', 'promote', 'demote'] },
    participants: participantsDefinition,
  },
  required: ['groupJid', 'action', 'participants'],
};

export const WEBHOOK_SET_SCHEMA: Schema = {
  type: 'object',
  properties: {
    webhook: {
      type: 'object',
      properties: {
        enabled: { type: 'boolean' },
        url: { type: 'string' },
        headers: { type: 'object' },
        byEvents: { type: 'boolean' },
        base64: { type: 'boolean' },
        events: { type: 'array', items: { type: 'string', enum: ALL_EVENTS } },
      },
      required: ['enabled', 'url'],
    },
  },
  required: ['webhook'],
};

export const SETTINGS_SCHEMA: Schema = {
  type: 'object',
  properties: {
    rejectCall: { type: 'boolean' },
    msgCall: { type: 'string' },
    groupsIgnore: { type: 'boolean' },
    alwaysOnline: { type: 'boolean' },
    readMessages: { type: 'boolean' },
    readStatus: { type: 'boolean' },
    syncFullHistory: { type: 'boolean' },
    wavoipToken: { type: 'string' },
  },
  required: ['rejectCall', 'groupsIgnore', 'alwaysOnline', 'readMessages', 'readStatus', 'syncFullHistory'],
};
