import { randomBytes } from 'node:crypto';
import { OutgoingContent } from './simulator-engine';
import {
  asRecord,
  badRequest,
  created,
  internalError,
  internalErrorList,
  numberField,
  SimResponse,
  stringField,
} from './simulator-http';
import { recordOutgoing, renderMessage } from './simulator-messages';
import { sendRefusal } from './simulator-not-open';
import type { InstanceHandler, RequestContext } from './simulator-routes';
import { SEND_SCHEMAS, SendAction } from './simulator-schemas';
import {
  bypassesNumberCheck,
  createJid,
  jidUser,
  looksLikeBase64,
  looksLikeUrl,
  SimInstance,
  unixSeconds,
} from './simulator-state';
import { assertValid } from './simulator-validation';

interface BuiltSend {
  /** The `number` (or `key.remoteJid`) the message goes to, before createJid. */
  target: string;
  content: OutgoingContent;
  /** contract §6: sendContact and sendReaction ignore `delay`. */
  honoursDelay: boolean;
}

type Body = Record<string, unknown>;

/**
 * One handler per send route. Order of checks, as the upstream runs them: guards (done by the
 * router) → schema → the controller's content checks → the image conversion of sendMedia and
 * sendSticker (sharp, 500 for bytes it cannot read) → the socket (contract §12: a non-open
 * instance fails as sendRefusal says) → onWhatsApp (before the delay, §6) → delay → send → 201
 * with the prepareMessage object.
 */
export function sendHandler(action: SendAction): InstanceHandler {
  return async (ctx: RequestContext, inst: SimInstance): Promise<SimResponse> => {
    const body = asRecord(ctx.body);
    assertValid(body, SEND_SCHEMAS[action]);
    const built = BUILDERS[action](body);
    const jid = createJid(built.target);
    if (inst.state !== 'open') throw sendRefusal(inst, action, !bypassesNumberCheck(jid));
    if (!bypassesNumberCheck(jid) && !ctx.engine.isOnWhatsapp(jid)) {
      // contract §3: the onWhatsApp result itself is the exception payload.
      throw badRequest({ jid, exists: false, number: jidUser(jid) });
    }
    if (built.honoursDelay) await honourDelay(ctx, body);
    const message = recordOutgoing(ctx.engine, inst, jid, built.content);
    return created(renderMessage(message));
  };
}

/** contract §6: the HTTP answer waits for the whole delay (capped here so a typo cannot hang a test run). */
async function honourDelay(ctx: RequestContext, body: Body): Promise<void> {
  const delay = numberField(body, 'delay') ?? 0;
  if (delay <= 0) return;
  await ctx.engine.scheduler.sleep(Math.min(delay, ctx.engine.options.maxSendDelayMs), 'request');
}

const BUILDERS: Record<SendAction, (body: Body) => BuiltSend> = {
  sendText: buildText,
  sendMedia: buildMedia,
  sendWhatsAppAudio: buildAudio,
  sendSticker: buildSticker,
  sendLocation: buildLocation,
  sendContact: buildContact,
  sendPoll: buildPoll,
  sendButtons: buildButtons,
  sendReaction: buildReaction,
};

function target(body: Body): string {
  return stringField(body, 'number') ?? '';
}

function withDelay(body: Body, message: Record<string, unknown>, messageType: string): BuiltSend {
  return { target: target(body), content: { message, messageType }, honoursDelay: true };
}

/** What Baileys stores after an upload: a CDN url, whatever the client sent. */
function mediaUrl(): string {
  return `https://mmg.whatsapp.net/v/t62.7118-24/${randomBytes(12).toString('hex')}.enc`;
}

function buildText(body: Body): BuiltSend {
  const text = stringField(body, 'text') ?? '';
  if (text.trim() === '') throw badRequest('Text is required');
  // contract §2.2: extendedTextMessage is flattened to conversation.
  return withDelay(body, { conversation: text }, 'conversation');
}

const MEDIA_MIMETYPES: Record<string, string> = {
  image: 'image/jpeg', // contract §2.2: images are re-encoded to JPEG
  video: 'video/mp4',
  audio: 'audio/mpeg',
  document: 'application/octet-stream',
};

/** sharp's message when no decoder recognises the bytes (contract §2.2: images are re-encoded with sharp). */
const UNSUPPORTED_IMAGE = 'Input buffer contains unsupported image format';

/**
 * Whether sharp would recognise base64 bytes as an image. sharp picks a decoder by the file's first bytes, so this
 * checks the signatures of the formats its prebuilt binaries read: JPEG, PNG, GIF, WebP, TIFF, AVIF and SVG. A BMP,
 * a PDF or a web page named .jpg is not one of them. A URL is not fetched here, so it always passes.
 */
function readableImage(media: string): boolean {
  const bytes = Buffer.from(media, 'base64');
  const ascii = (start: number, end: number) => bytes.subarray(start, end).toString('latin1');
  return (
    bytes.subarray(0, 3).equals(Buffer.from([0xff, 0xd8, 0xff])) ||
    bytes.subarray(0, 8).equals(Buffer.from('89504e470d0a1a0a', 'hex')) ||
    /^GIF8[79]a$/.test(ascii(0, 6)) ||
    (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') ||
    ascii(0, 4) === 'II*\0' ||
    ascii(0, 4) === 'MM\0*' ||
    (ascii(4, 8) === 'ftyp' && /^avi[fs]$/.test(ascii(8, 12))) ||
    /^\s*(<\?xml[^>]*>\s*)?(<!--[\s\S]*?-->\s*)*(<!DOCTYPE[^>]*>\s*)?<svg[\s>]/i.test(
      bytes.subarray(0, 1024).toString('utf8'),
    )
  );
}

function buildMedia(body: Body): BuiltSend {
  const mediatype = stringField(body, 'mediatype') ?? 'document';
  const media = body['media'];
  const fileName = stringField(body, 'fileName');
  if (looksLikeBase64(media) && !fileName && mediatype === 'document') {
    throw badRequest('For base64 the file name must be informed.');
  }
  if (!looksLikeUrl(media) && !looksLikeBase64(media)) throw badRequest('Owned media must be a url or base64');
  // The upstream's prepareMediaMessage runs before the connection and number checks and wraps sharp's error in an
  // InternalServerErrorException: 500 with the message in an array.
  if (mediatype === 'image' && looksLikeBase64(media) && !readableImage(media as string)) {
    throw internalErrorList(`Error: ${UNSUPPORTED_IMAGE}`);
  }
  const requested = stringField(body, 'mimetype') ?? MEDIA_MIMETYPES[mediatype];
  const mimetype = mediatype === 'image' ? MEDIA_MIMETYPES['image'] : requested;
  const content = {
    url: mediaUrl(),
    mimetype,
    caption: stringField(body, 'caption'),
    fileName: mediatype === 'document' ? (fileName ?? 'file') : undefined,
  };
  return withDelay(body, { [`${mediatype}Message`]: content }, `${mediatype}Message`);
}

function buildAudio(body: Body): BuiltSend {
  const audio = body['audio'];
  if (!looksLikeUrl(audio) && !looksLikeBase64(audio)) {
    throw badRequest('Owned media must be a url, base64, or valid file with buffer');
  }
  // contract §2.2: converted to opus and sent as a PTT voice note.
  return withDelay(
    body,
    { audioMessage: { url: mediaUrl(), mimetype: 'audio/ogg; codecs=opus', ptt: true } },
    'audioMessage',
  );
}

function buildSticker(body: Body): BuiltSend {
  const sticker = body['sticker'];
  if (!looksLikeUrl(sticker) && !looksLikeBase64(sticker)) throw badRequest('Owned media must be a url or base64');
  // The conversion to WebP rethrows sharp's error as it is: a plain Error renders as 500 with a string message.
  if (body['notConvertSticker'] !== true && looksLikeBase64(sticker) && !readableImage(sticker as string))
    throw internalError(UNSUPPORTED_IMAGE);
  return withDelay(body, { stickerMessage: { url: mediaUrl(), mimetype: 'image/webp' } }, 'stickerMessage');
}

function buildLocation(body: Body): BuiltSend {
  const location = {
    degreesLatitude: body['latitude'],
    degreesLongitude: body['longitude'],
    name: body['name'],
    address: body['address'],
  };
  return withDelay(body, { locationMessage: location }, 'locationMessage');
}

function buildContact(body: Body): BuiltSend {
  const contacts = (Array.isArray(body['contact']) ? body['contact'] : []).map((c) => toVcardMessage(asRecord(c)));
  const single = contacts.length === 1 ? contacts[0] : undefined;
  const content: OutgoingContent = single
    ? { message: { contactMessage: single }, messageType: 'contactMessage' }
    : {
        message: { contactsArrayMessage: { displayName: `${contacts.length} contacts`, contacts } },
        messageType: 'contactsArrayMessage',
      };
  return { target: target(body), content, honoursDelay: false };
}

function toVcardMessage(contact: Body): { displayName: string; vcard: string } {
  const fullName = stringField(contact, 'fullName') ?? '';
  const phone = stringField(contact, 'phoneNumber') ?? '';
  const wuid = stringField(contact, 'wuid') ?? phone.replace(/\D/g, '');
  const lines = [
    'BEGIN:VCARD',
    'VERSION:3.0',
    `N:${fullName}`,
    `FN:${fullName}`,
    ...optionalLine('ORG', stringField(contact, 'organization'), ';'),
    ...optionalLine('EMAIL', stringField(contact, 'email')),
    ...optionalLine('URL', stringField(contact, 'url')),
    `item1.TEL;waid=${wuid}:${phone}`,
    'item1.X-ABLabel:Celular',
    'END:VCARD',
  ];
  return { displayName: fullName, vcard: lines.join('\n') };
}

function optionalLine(name: string, value: string | undefined, suffix = ''): string[] {
  return value ? [`${name}:${value}${suffix}`] : [];
}

/** Baileys: single-choice polls are pollCreationMessageV3, others pollCreationMessage (contract §10: unverified). */
function buildPoll(body: Body): BuiltSend {
  const selectableCount = numberField(body, 'selectableCount') ?? 0;
  const values: unknown[] = Array.isArray(body['values']) ? body['values'] : [];
  const poll = {
    name: body['name'],
    options: values.map((optionName) => ({ optionName })),
    selectableOptionsCount: selectableCount,
  };
  const messageType = selectableCount === 1 ? 'pollCreationMessageV3' : 'pollCreationMessage';
  return withDelay(body, { [messageType]: poll }, messageType);
}

/** contract §2.2: sent as viewOnceMessage.interactiveMessage. */
function buildButtons(body: Body): BuiltSend {
  const buttons = (Array.isArray(body['buttons']) ? body['buttons'] : []).map((b) => {
    const button = asRecord(b);
    return { name: nativeFlowName(stringField(button, 'type')), buttonParamsJson: JSON.stringify(button) };
  });
  const interactiveMessage = {
    header: { title: stringField(body, 'title') ?? '', hasMediaAttachment: false },
    body: { text: stringField(body, 'description') ?? '' },
    footer: { text: stringField(body, 'footer') ?? '' },
    nativeFlowMessage: {
      buttons,
      messageParamsJson: JSON.stringify({ from: 'api', templateId: randomBytes(8).toString('hex') }),
    },
  };
  return withDelay(body, { viewOnceMessage: { message: { interactiveMessage } } }, 'viewOnceMessage');
}

function nativeFlowName(type: string | undefined): string {
  switch (type) {
    case 'copy':
      return 'cta_copy';
    case 'url':
      return 'cta_url';
    case 'call':
      return 'cta_call';
    case 'pix':
      return 'payment_info';
    default:
      return 'quick_reply';
  }
}

/** contract §2.2: a single emoji, or "" to remove; anything wordy is a 400. */
function buildReaction(body: Body): BuiltSend {
  const key = asRecord(body['key']);
  const reaction = stringField(body, 'reaction') ?? '';
  if (reaction !== '' && !/[^()\w\sà-ú"-+]+/.test(reaction)) throw badRequest('"reaction" must be an emoji');
  const remoteJid = stringField(key, 'remoteJid') ?? '';
  const reactionMessage = {
    key: { remoteJid, fromMe: key['fromMe'], id: key['id'] },
    text: reaction,
    senderTimestampMs: String(unixSeconds() * 1000),
  };
  return {
    target: remoteJid,
    content: { message: { reactionMessage }, messageType: 'reactionMessage' },
    honoursDelay: false,
  };
}
