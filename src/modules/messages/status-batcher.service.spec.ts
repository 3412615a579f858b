import { Logger } from '@nestjs/common';
import { MessageRepository, StatusOutcome, UpstreamStatus } from './message.repository';
import { mergeByMessage, StatusBatcherService } from './status-batcher.service';

const status = (upstreamMessageId: string, s: UpstreamStatus['status'], instanceId = 'i-1'): UpstreamStatus => ({
  instanceId,
  upstreamMessageId,
  status: s,
});

describe('mergeByMessage', () => {
  it('keeps one item per (instance, message id) in first-seen order and maps each input to it', () => {
    const merged = mergeByMessage([
      status('A', 'sent'),
      status('B', 'sent'),
      status('A', 'read'),
      status('A', 'delivered'),
      status('C', 'failed'),
    ]);
    expect(merged.items).toEqual([status('A', 'read'), status('B', 'sent'), status('C', 'failed')]);
    expect(merged.indexOf).toEqual([0, 1, 0, 0, 2]);
  });

  it('tells the same message id on two instances apart', () => {
    const merged = mergeByMessage([status('A', 'sent', 'i-1'), status('A', 'read', 'i-2')]);
    expect(merged.items).toEqual([status('A', 'sent', 'i-1'), status('A', 'read', 'i-2')]);
    expect(merged.indexOf).toEqual([0, 1]);
  });

  it('merges with furthest: delivered or read wins over failed, failed over sent', () => {
    expect(mergeByMessage([status('A', 'read'), status('A', 'failed')]).items[0]!.status).toBe('read');
    expect(mergeByMessage([status('A', 'failed'), status('A', 'delivered')]).items[0]!.status).toBe('delivered');
    expect(mergeByMessage([status('A', 'sent'), status('A', 'failed'), status('A', 'sent')]).items[0]!.status).toBe(
      'failed',
    );
  });

  it('leaves the caller’s items untouched', () => {
    const first = status('A', 'sent');
    mergeByMessage([first, status('A', 'read')]);
    expect(first).toEqual(status('A', 'sent'));
  });

  it('merges nothing into nothing', () => {
    expect(mergeByMessage([])).toEqual({ items: [], indexOf: [] });
  });
});

/** A message repository whose batch statement the test answers, one call at a time. */
class FakeMessages {
  readonly batches: UpstreamStatus[][] = [];
  private readonly pending: { resolve: (o: StatusOutcome[]) => void; reject: (e: unknown) => void }[] = [];
  /** Answers each call with this, when set; otherwise the test settles calls with `answer`/`fail`. */
  auto?: (items: UpstreamStatus[], call: number) => StatusOutcome[] | Error;

  applyUpstreamStatusesForSystem(items: UpstreamStatus[]): Promise<StatusOutcome[]> {
    this.batches.push(items.map((i) => ({ ...i })));
    if (this.auto) {
      const result = this.auto(items, this.batches.length);
      return result instanceof Error ? Promise.reject(result) : Promise.resolve(result);
    }
    return new Promise((resolve, reject) => this.pending.push({ resolve, reject }));
  }

  answer(outcomes: StatusOutcome[]): void {
    this.pending.shift()!.resolve(outcomes);
  }

  fail(err: unknown): void {
    this.pending.shift()!.reject(err);
  }

  get waiting(): number {
    return this.pending.length;
  }
}

/** Lets setImmediate callbacks and the promise chains after them run. */
const turn = () => new Promise((resolve) => setImmediate(resolve));

function deadlock(): Error {
  return Object.assign(new Error('deadlock detected'), { code: '40P01' });
}

describe(StatusBatcherService.name, () => {
  let messages: FakeMessages;
  let sut: StatusBatcherService;

  beforeAll(() => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterAll(() => {
    jest.restoreAllMocks();
  });
  beforeEach(() => {
    messages = new FakeMessages();
    sut = new StatusBatcherService(messages as unknown as MessageRepository);
  });

  it('writes statuses that arrive in one turn as one batch and answers each caller with its own outcome', async () => {
    messages.auto = (items) => items.map((i) => (i.upstreamMessageId === 'B' ? 'unknown' : 'applied'));
    const answers = await Promise.all([
      sut.apply(status('A', 'sent')),
      sut.apply(status('B', 'sent')),
      sut.apply(status('C', 'read')),
    ]);
    expect(messages.batches).toEqual([[status('A', 'sent'), status('B', 'sent'), status('C', 'read')]]);
    expect(answers).toEqual(['applied', 'unknown', 'applied']);
  });

  it('sends one item per message and gives every caller of that message the merged item’s outcome', async () => {
    messages.auto = (items) => items.map((i) => (i.upstreamMessageId === 'A' ? 'ignored' : 'applied'));
    const answers = await Promise.all([
      sut.apply(status('A', 'delivered')),
      sut.apply(status('B', 'sent')),
      sut.apply(status('A', 'read')),
    ]);
    expect(messages.batches).toEqual([[status('A', 'read'), status('B', 'sent')]]);
    expect(answers).toEqual(['ignored', 'applied', 'ignored']);
  });

  it('holds statuses that arrive while a batch is being written for the next batch, one statement at a time', async () => {
    const first = sut.apply(status('A', 'sent'));
    await turn();
    expect(messages.batches).toHaveLength(1);
    const second = sut.apply(status('B', 'sent'));
    const third = sut.apply(status('C', 'sent'));
    await turn();
    // Nothing else is written while the first batch is in flight.
    expect(messages.batches).toHaveLength(1);
    expect(messages.waiting).toBe(1);

    messages.answer(['applied']);
    await expect(first).resolves.toBe('applied');
    await turn();
    expect(messages.batches).toEqual([[status('A', 'sent')], [status('B', 'sent'), status('C', 'sent')]]);
    messages.answer(['ignored', 'unknown']);
    await expect(Promise.all([second, third])).resolves.toEqual(['ignored', 'unknown']);
  });

  it('writes at most 500 statuses in one statement, the rest in the next', async () => {
    messages.auto = (items) => items.map(() => 'applied');
    const answers = await Promise.all(Array.from({ length: 501 }, (_, i) => sut.apply(status(`M${i}`, 'sent'))));
    expect(messages.batches.map((b) => b.length)).toEqual([500, 1]);
    expect(messages.batches[1]).toEqual([status('M500', 'sent')]);
    expect(answers).toHaveLength(501);
    expect(new Set(answers)).toEqual(new Set(['applied']));
  });

  it('tries a batch that lost a deadlock again, up to three attempts in all', async () => {
    messages.auto = (items, call) => (call < 3 ? deadlock() : items.map(() => 'applied'));
    await expect(sut.apply(status('A', 'sent'))).resolves.toBe('applied');
    expect(messages.batches).toEqual([[status('A', 'sent')], [status('A', 'sent')], [status('A', 'sent')]]);
  });

  it('rejects every caller of the batch with the deadlock after the third attempt', async () => {
    messages.auto = () => deadlock();
    const a = sut.apply(status('A', 'sent'));
    const b = sut.apply(status('B', 'sent'));
    await expect(a).rejects.toMatchObject({ code: '40P01' });
    await expect(b).rejects.toMatchObject({ code: '40P01' });
    expect(messages.batches).toHaveLength(3);
  });

  it('does not retry any other error, rejects every caller of the batch with it, and goes on with the next batch', async () => {
    const broken = Object.assign(new Error('connection lost'), { code: 'P1001' });
    const a = sut.apply(status('A', 'sent'));
    const b = sut.apply(status('B', 'sent'));
    await turn();
    const c = sut.apply(status('C', 'sent'));
    messages.fail(broken);
    await expect(a).rejects.toBe(broken);
    await expect(b).rejects.toBe(broken);
    expect(messages.batches).toHaveLength(1);

    await turn();
    expect(messages.batches[1]).toEqual([status('C', 'sent')]);
    messages.answer(['applied']);
    await expect(c).resolves.toBe('applied');
  });
});
