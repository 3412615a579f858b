import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/**
 * OpenAPI descriptions of the legacy bodies. Handlers take the body as it is (the upstream's schemas are loose and
 * clients send what the reference shows), so these classes document and never validate.
 */
export class LegacyCreateInstanceBody {
  @ApiProperty({ example: 'mycompany-sales', description: 'Letters, digits, "-" and "_", 2-64 characters' })
  instanceName!: string;
  @ApiPropertyOptional({ example: 'WHATSAPP-BAILEYS', enum: ['WHATSAPP-BAILEYS', 'EVOLUTION'] }) integration?: string;
  @ApiPropertyOptional({ example: true, description: 'Answer with the first QR code' }) qrcode?: boolean;
  @ApiPropertyOptional({ description: 'Phone number for a pairing code instead of a QR scan' }) number?: string;
  @ApiPropertyOptional({ description: 'Ignored: the gateway issues the instance key, returned as hash.apikey' })
  token?: string;
  @ApiPropertyOptional({ description: 'Master key only: the client that will own the instance' }) client_id?: number;
  @ApiPropertyOptional({ description: '{url, events?, enabled?}: the tenant webhook, stored by the gateway' })
  webhook?: object;
  @ApiPropertyOptional() rejectCall?: boolean;
  @ApiPropertyOptional() msgCall?: string;
  @ApiPropertyOptional() groupsIgnore?: boolean;
  @ApiPropertyOptional() alwaysOnline?: boolean;
  @ApiPropertyOptional() readMessages?: boolean;
  @ApiPropertyOptional() readStatus?: boolean;
  @ApiPropertyOptional() syncFullHistory?: boolean;
}

export class LegacyWebhookSettings {
  @ApiProperty({ example: true }) enabled!: boolean;
  @ApiProperty({ example: 'https://yourapp.com/webhook/whatsapp' }) url!: string;
  @ApiPropertyOptional({
    example: ['MESSAGES_UPSERT', 'MESSAGES_UPDATE'],
    description: 'Empty or absent means all events',
  })
  events?: string[];
  @ApiPropertyOptional({ description: 'Accepted, no effect: every event goes to one URL' }) byEvents?: boolean;
  @ApiPropertyOptional({ description: 'Accepted, no effect' }) base64?: boolean;
}

export class LegacySetWebhookBody {
  @ApiProperty({ type: LegacyWebhookSettings }) webhook!: LegacyWebhookSettings;
}

/** A free-form JSON body, shown with the reference's example. */
export function legacyBody(example: Record<string, unknown>) {
  return { schema: { type: 'object' as const, additionalProperties: true, example } };
}
