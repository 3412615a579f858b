import { Logger } from '@nestjs/common';
import { RateLimitedError } from '@/common/errors/app-error';
import { Delivery } from '@/modules/messages/send.service';
import { OptedOutError } from '@/modules/opt-outs/opt-outs.service';
import { DAILY_CAP_REASON, DISCONNECTED_REASON, NOT_ON_WHATSAPP, OPTED_OUT } from './bulk-reasons';
import { BulkRunnerService } from './bulk-runner.service';

const sleeps: number[] = [];
jest.mock('node:timers/promises', () => ({
  setTimeout: (ms: number) => {
    sleeps.push(ms);
    return Promise.resolve();
  },
}));
import {
  BULK,
  bulk,
  CLIENT,
  FakeBulks,
  FakeNumberCheck,
  FakeOptOuts,
  FakeSender,
  recipient,
  runnerWithFakes,
} from '../../../test/factories/bulk-runner.fakes';

describe(BulkRunnerService.name, () => {
  let bulks: FakeBulks;
  let sender: FakeSender;
  let sentTexts: unknown[][];
  let queue: { driven: unknown[][]; resumes: unknown[][] };
  let cancelled: unknown[][];
  let numbers: FakeNumberCheck;
  let optOuts: FakeOptOuts;
  let sut: BulkRunnerService;

  beforeAll(() => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterAll(() => {
    jest.restoreAllMocks();
  });
  beforeEach(() => {
    sleeps.length = 0;
    ({ sut, bulks, sender, sentTexts, queue, cancelled, numbers, optOuts } = runnerWithFakes());
  });

  describe('run', () => {
    it.each(['paused', 'cancelled', 'completed'] as const)('leaves a %s bulk alone', async (status) => {
      bulks.found = bulk({ status });
      await sut.run(CLIENT, BULK);
      expect(bulks.calls.map(([name]) => name)).toEqual(['findForRun']);
    });

    it('leaves a bulk it cannot find alone', async () => {
      bulks.found = null;
      await sut.run(CLIENT, BULK);
      expect(bulks.calls.map(([name]) => name)).toEqual(['findForRun']);
    });

    it('cancels, instead of sending, a bulk whose instance was deleted', async () => {
      bulks.found = bulk({ instance: { ...bulk().instance, deletedAt: new Date() } });
      await sut.run(CLIENT, BULK);
      expect(cancelled).toEqual([[CLIENT, 'i-1']]);
      expect(bulks.calls.map(([name]) => name)).toEqual(['findForRun']);
    });

    it('stops at once when another driver holds the lease', async () => {
      bulks.leased = false;
      bulks.claims = [recipient(1)];
      await sut.run(CLIENT, BULK);
      expect(bulks.calls.map(([name]) => name)).toEqual(['findForRun', 'lease', 'releaseLease']);
      expect(sender.deliveries).toEqual([]);
    });

    it('sends every recipient in turn, records each sent, completes the bulk and gives the lease back', async () => {
      bulks.claims = [recipient(1), recipient(2), undefined];
      sender.outcomes = [501, 502];
      await sut.run(CLIENT, BULK);
      expect(bulks.writes()).toEqual([
        ['finish', CLIENT, 1n, 'sent', 501n, null],
        ['finish', CLIENT, 2n, 'sent', 502n, null],
        ['complete', CLIENT, BULK],
      ]);
      expect(bulks.calls.map(([name]) => name)).toEqual([
        'findForRun',
        'lease',
        'markStarted',
        'claim',
        'finish',
        'claim',
        'finish',
        'claim',
        'complete',
        'releaseLease',
      ]);
    });

    it('with check_numbers, skips a recipient without WhatsApp instead of sending to it', async () => {
      bulks.found = bulk({ checkNumbers: true });
      bulks.claims = [recipient(1), recipient(2), undefined];
      numbers.notOnWhatsApp.add(recipient(1).number);
      sender.outcomes = [502];
      await sut.run(CLIENT, BULK);
      expect(numbers.looked).toEqual([recipient(1).number, recipient(2).number]);
      expect(bulks.writes()).toEqual([
        ['finish', CLIENT, 1n, 'skipped', null, NOT_ON_WHATSAPP],
        ['finish', CLIENT, 2n, 'sent', 502n, null],
        ['complete', CLIENT, BULK],
      ]);
      expect(sender.deliveries.map((d) => d.recipient.value)).toEqual([recipient(2).number]);
    });

    it('skips a recipient that opted out (the send refused it before taking anything) and goes on', async () => {
      bulks.claims = [recipient(1), recipient(2), undefined];
      sender.outcomes = [new OptedOutError(recipient(1).number), 502];
      await sut.run(CLIENT, BULK);
      expect(bulks.writes()).toEqual([
        ['finish', CLIENT, 1n, 'skipped', null, OPTED_OUT],
        ['finish', CLIENT, 2n, 'sent', 502n, null],
        ['complete', CLIENT, BULK],
      ]);
    });

    it('with check_numbers, never looks up a number that opted out', async () => {
      bulks.found = bulk({ checkNumbers: true });
      bulks.claims = [recipient(1), undefined];
      optOuts.optedOut.add(recipient(1).number);
      await sut.run(CLIENT, BULK);
      expect(numbers.looked).toEqual([]);
      expect(sender.deliveries).toEqual([]);
      expect(bulks.writes()[0]).toEqual(['finish', CLIENT, 1n, 'skipped', null, OPTED_OUT]);
    });

    it('without check_numbers, looks nothing up', async () => {
      bulks.claims = [recipient(1), undefined];
      await sut.run(CLIENT, BULK);
      expect(numbers.looked).toEqual([]);
      expect(sender.deliveries).toHaveLength(1);
    });

    it('waits out the number checks’ per-minute limit like a pacing slot: the recipient is given back, not failed', async () => {
      bulks.found = bulk({ checkNumbers: true });
      bulks.claims = [recipient(1), undefined];
      numbers.error = new RateLimitedError('lookups used up', 30, 'NUMBER_CHECK_LIMIT');
      await sut.run(CLIENT, BULK);
      expect(bulks.writes()[0]).toEqual(['release', CLIENT, 1n, null, { uncountAttempt: true }]);
      expect(sender.deliveries).toEqual([]);
    });

    it('renders each recipient’s text at send time and sends it to the recipient through the instance', async () => {
      bulks.claims = [recipient(1), undefined];
      await sut.run(CLIENT, BULK);
      const [d] = sender.deliveries;
      await d!.send('254700000001');
      expect(sentTexts).toEqual([
        ['shop', { kind: 'instance', instanceId: 'i-1' }, { number: '254700000001', text: 'Hi n1' }],
      ]);
      expect(d).toMatchObject({
        source: 'bulk',
        messageType: 'text',
        bulkId: BULK,
        bulkRecipientId: 1n,
        maxWaitMs: 8000,
        recipient: { value: '254700000001', kind: 'phone' },
        interruptedMessageId: undefined,
      });
    });

    it('paces by the bulk’s delay when it is longer than the client’s interval, never shorter', async () => {
      bulks.found = bulk({ delayMs: 5000 });
      bulks.claims = [recipient(1), undefined];
      await sut.run(CLIENT, BULK);
      bulks.found = bulk({ delayMs: 200 });
      bulks.claims = [recipient(2), undefined];
      await sut.run(CLIENT, BULK);
      expect(sender.deliveries.map((d) => d.limits.sendIntervalMs)).toEqual([5000, 1500]);
      expect(sender.deliveries[0]!.limits).toMatchObject({ dailyCap: 1000, pacingOverride: false });
    });

    it('sends to a group id as a group', async () => {
      bulks.claims = [recipient(1, { number: '120363000000000000@g.us' }), undefined];
      await sut.run(CLIENT, BULK);
      expect(sender.deliveries[0]!.recipient).toEqual({ value: '120363000000000000@g.us', kind: 'group' });
    });

    it('sends an interrupted attempt again under its queued log row, and only a queued one', async () => {
      bulks.claims = [
        recipient(1, { messageId: 41n, logged: { status: 'queued', upstreamMessageId: null } }),
        recipient(2, { messageId: 42n, logged: { status: 'failed', upstreamMessageId: null } }),
        undefined,
      ];
      await sut.run(CLIENT, BULK);
      expect(sender.deliveries.map((d) => d.interruptedMessageId)).toEqual([41n, undefined]);
    });

    it('records as sent, without sending again, a recipient the upstream had already accepted', async () => {
      bulks.claims = [
        recipient(1, { messageId: 41n, logged: { status: 'queued', upstreamMessageId: 'WA-41' } }),
        undefined,
      ];
      await sut.run(CLIENT, BULK);
      expect(sender.deliveries).toEqual([]);
      expect(bulks.writes()[0]).toEqual(['finish', CLIENT, 1n, 'sent', null, null]);
    });

    it('fails, without sending, a recipient whose variables no longer fill the template', async () => {
      bulks.claims = [recipient(1, { variables: { other: 'x' } }), recipient(2), undefined];
      await sut.run(CLIENT, BULK);
      expect(sender.deliveries).toHaveLength(1);
      expect(bulks.writes()[0]).toEqual([
        'finish',
        CLIENT,
        1n,
        'failed',
        null,
        'variables.name: is missing for this recipient',
      ]);
    });

    it('does not complete a bulk whose claim says stop (paused, cancelled or taken over)', async () => {
      bulks.claims = ['stop'];
      await sut.run(CLIENT, BULK);
      expect(bulks.writes()).toEqual([]);
      expect(bulks.calls.at(-1)).toEqual(['releaseLease', CLIENT, BULK]);
    });

    it('finishes the recipient in hand and hands the bulk back when the process stops', async () => {
      bulks.claims = [recipient(1), recipient(2), undefined];
      sender.deliver = (d: Delivery) => {
        sut.stop();
        sender.deliveries.push(d);
        return Promise.resolve({ id: '9' });
      };
      await sut.run(CLIENT, BULK);
      expect(sender.deliveries).toHaveLength(1);
      expect(bulks.writes()).toEqual([['finish', CLIENT, 1n, 'sent', 9n, null]]);
      expect(bulks.calls.at(-1)).toEqual(['releaseLease', CLIENT, BULK]);
    });
  });

  describe('resumeAfterCap', () => {
    it('resumes and re-drives a bulk the daily cap paused', async () => {
      bulks.found = bulk({ status: 'paused', pauseReason: `${DAILY_CAP_REASON}; resumes at 2026-12-01T00:00:00.000Z` });
      await sut.resumeAfterCap(CLIENT, BULK);
      expect(bulks.writes()).toEqual([['transition', CLIENT, BULK, ['paused'], 'running']]);
      expect(queue.driven).toEqual([[CLIENT, BULK]]);
    });

    it('does not re-drive when the bulk left paused meanwhile', async () => {
      bulks.found = bulk({ status: 'paused', pauseReason: DAILY_CAP_REASON });
      bulks.transitions = false;
      await sut.resumeAfterCap(CLIENT, BULK);
      expect(queue.driven).toEqual([]);
    });

    it.each([
      ['paused for a disconnection', { status: 'paused', pauseReason: DISCONNECTED_REASON }],
      ['paused by its client', { status: 'paused', pauseReason: null }],
      ['running', { status: 'running', pauseReason: DAILY_CAP_REASON }],
    ] as const)('leaves alone a bulk %s', async (_, state) => {
      bulks.found = bulk(state);
      await sut.resumeAfterCap(CLIENT, BULK);
      expect(bulks.writes()).toEqual([]);
      expect(queue.driven).toEqual([]);
    });
  });

  it('re-drives every active bulk and says how many', async () => {
    await expect(sut.redriveActive()).resolves.toBe(2);
    expect(queue.driven).toEqual([
      [1, 'b-1'],
      [2, 'b-2'],
    ]);
  });
});
