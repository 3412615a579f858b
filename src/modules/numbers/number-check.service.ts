import { Injectable } from '@nestjs/common';
import { RateLimitedError, ValidationError } from '@/common/errors/app-error';
import { normalizeRecipient } from '@/common/phone/phone';
import { RedisService } from '@/common/redis/redis.service';
import { AppConfig } from '@/config/app-config';
import { Instance } from '@/generated/prisma/client';
import { EvolutionClient, instanceAuth } from '@/integrations/evolution/evolution.client';
import { OnWhatsAppEntry } from '@/integrations/evolution/evolution.types';
import { ClientAuth } from '@/modules/auth/auth-context';
import { InstancesService } from '@/modules/instances/instances.service';
import { CheckNumbersDto, NumberCheckDto } from './dto/check-numbers.dto';

/** What WhatsApp said about a number: unknown answers (`exists: null`) are never kept. */
type Answer = { exists: boolean; jid: string };
type LookupInstance = Pick<Instance, 'id' | 'clientId' | 'name'>;

const WINDOW_MS = 60_000;

/**
 * An instance's lookup budget for a minute that starts with its first lookup: the numbers asked are added to it, or,
 * when that would pass the limit, nothing is (a refused check takes nothing). KEYS: the counter. ARGV: numbers,
 * limit, window. Returns {taken (1/0), ms left in the window}.
 */
const TAKE_LOOKUPS = `
local count = redis.call('INCRBY', KEYS[1], ARGV[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  ttl = tonumber(ARGV[3])
end
if count > tonumber(ARGV[2]) then
  redis.call('DECRBY', KEYS[1], ARGV[1])
  return {0, ttl}
end
return {1, ttl}
`;

/**
 * Which numbers have WhatsApp, through the instance's session (the upstream's /chat/whatsappNumbers). Answers are
 * kept per client for NUMBER_CHECK_CACHE_DAYS, and an instance looks up at most NUMBER_CHECK_PER_MINUTE numbers a
 * minute: checking many numbers at once is one of the ways WhatsApp numbers get banned.
 */
@Injectable()
export class NumberCheckService {
  constructor(
    private readonly instances: InstancesService,
    private readonly evolution: EvolutionClient,
    private readonly redis: RedisService,
    private readonly config: AppConfig,
  ) {}

  async check(auth: ClientAuth, dto: CheckNumbersDto): Promise<NumberCheckDto[]> {
    const instance = await this.instances.resolve(auth, dto.instanceName);
    const numbers = dto.numbers.map((raw, i) => this.normalize(raw, i));
    const known = await this.lookUp(instance, numbers);
    // A number the upstream gave no answer for is unknown, not "no WhatsApp": null, as hasWhatsApp treats it too.
    return numbers.map((number) => ({ number, ...(known.get(number) ?? { exists: null, jid: jidOf(number) }) }));
  }

  /**
   * Whether a normalised number (a bulk recipient's) has WhatsApp, through the same cache and limit as the route.
   * A group has no lookup to make. A number the upstream gave no answer for is unknown (the route's `exists: null`),
   * so the send is tried rather than the recipient lost to a hiccup: the upstream checks the number again as it sends.
   */
  async hasWhatsApp(instance: LookupInstance, number: string): Promise<boolean> {
    if (number.endsWith('@g.us')) return true;
    return (await this.lookUp(instance, [number])).get(number)?.exists ?? true;
  }

  /** The answers for `numbers` (normalised), from the client's cache and, for the rest, the upstream. */
  private async lookUp(instance: LookupInstance, numbers: string[]): Promise<Map<string, Answer>> {
    const unique = [...new Set(numbers)];
    const known = await this.cached(instance.clientId, unique);
    const unknown = unique.filter((number) => !known.has(number));
    if (unknown.length > 0) {
      await this.takeLookups(instance.id, unknown.length);
      const answers = await this.evolution.whatsappNumbers(instance.name, instanceAuth(instance.id), unknown);
      const looked = matchAnswers(unknown, answers);
      await this.remember(instance.clientId, looked);
      for (const [number, answer] of looked) known.set(number, answer);
    }
    return known;
  }

  private normalize(raw: string, index: number): string {
    const result = normalizeRecipient(raw, this.config.get('DEFAULT_COUNTRY'));
    if (!result.ok) throw new ValidationError(`numbers[${index}]: ${result.reason}`, 'INVALID_NUMBER');
    return result.recipient.value;
  }

  private cacheKey(clientId: number, number: string): string {
    return this.redis.key('number-check', clientId, number);
  }

  private async cached(clientId: number, numbers: string[]): Promise<Map<string, Answer>> {
    const values = await this.redis.client.mget(numbers.map((n) => this.cacheKey(clientId, n)));
    const known = new Map<string, Answer>();
    values.forEach((value, i) => {
      if (value) known.set(numbers[i]!, { exists: value.startsWith('1'), jid: value.slice(2) });
    });
    return known;
  }

  private async remember(clientId: number, answers: Map<string, Answer>): Promise<void> {
    const ttlSeconds = this.config.get('NUMBER_CHECK_CACHE_DAYS') * 24 * 3600;
    const batch = this.redis.client.multi();
    for (const [number, { exists, jid }] of answers)
      batch.set(this.cacheKey(clientId, number), `${exists ? 1 : 0} ${jid}`, 'EX', ttlSeconds);
    await batch.exec();
  }

  private async takeLookups(instanceId: string, count: number): Promise<void> {
    const limit = this.config.get('NUMBER_CHECK_PER_MINUTE');
    const key = this.redis.key('number-lookups', instanceId);
    const [taken, ttl] = (await this.redis.client.eval(TAKE_LOOKUPS, 1, key, count, limit, WINDOW_MS)) as [
      number,
      number,
    ];
    if (taken === 1) return;
    const retryAfter = Math.max(1, Math.ceil(ttl / 1000));
    throw new RateLimitedError(
      `This instance may look up ${limit} numbers on WhatsApp per minute and this check needs ${count} more ` +
        `(answers from the last ${this.config.get('NUMBER_CHECK_CACHE_DAYS')} days do not count); retry in ${retryAfter} seconds`,
      retryAfter,
      'NUMBER_CHECK_LIMIT',
    );
  }
}

function jidOf(number: string): string {
  return number.includes('@') ? number : `${number}@s.whatsapp.net`;
}

/**
 * The upstream's answer for each number asked: by its number (or its JID's user part), else by position. A number
 * the upstream did not answer for is left out, so it is neither cached nor reported as checked.
 */
function matchAnswers(asked: string[], answers: OnWhatsAppEntry[]): Map<string, Answer> {
  const byNumber = new Map<string, OnWhatsAppEntry>();
  for (const answer of answers) {
    byNumber.set(answer.number, answer);
    byNumber.set(answer.jid.split('@')[0]!, answer);
    byNumber.set(answer.jid, answer);
  }
  const matched = new Map<string, Answer>();
  asked.forEach((number, i) => {
    const answer = byNumber.get(number) ?? (answers.length === asked.length ? answers[i] : undefined);
    if (answer) matched.set(number, { exists: answer.exists === true, jid: answer.jid });
  });
  return matched;
}
