import { MessageExpiredError } from '@/modules/messages/send-timing';
import {
  BULK,
  bulk,
  CLIENT,
  FakeBulks,
  FakeSender,
  recipient,
  runnerWithFakes,
} from '../../../test/factories/bulk-runner.fakes';
import { BulkRunnerService } from './bulk-runner.service';

describe(`${BulkRunnerService.name}: a bulk with an expiry`, () => {
  let bulks: FakeBulks;
  let sender: FakeSender;
  let sut: BulkRunnerService;
  beforeEach(() => {
    ({ sut, bulks, sender } = runnerWithFakes());
  });

  it('passes the expiry to each send, so a pacing slot after it expires the recipient', async () => {
    const expiresAt = new Date(Date.now() + 60000);
    bulks.found = bulk({ expiresAt });
    bulks.claims = [recipient(1), recipient(2), undefined];
    sender.outcomes = [100, new MessageExpiredError(expiresAt, new Date(expiresAt.getTime() + 1000))];
    await sut.run(CLIENT, BULK);
    expect(sender.deliveries.map((d) => d.expiresAt)).toEqual([expiresAt, expiresAt]);
    const reason = `expired: the bulk expired at ${expiresAt.toISOString()} before this recipient's turn`;
    expect(bulks.writes()).toEqual([
      ['finish', CLIENT, 1n, 'sent', 100n, null],
      ['finish', CLIENT, 2n, 'expired', null, reason],
      ['expire-pending', CLIENT, BULK, reason],
      ['complete', CLIENT, BULK],
    ]);
  });

  it('expires a recipient claimed after the expiry without sending it', async () => {
    const expiresAt = new Date(Date.now() - 1000);
    bulks.found = bulk({ expiresAt });
    bulks.claims = [recipient(1), undefined];
    await sut.run(CLIENT, BULK);
    expect(sender.deliveries).toHaveLength(0);
    expect(bulks.writes()).toEqual([
      ['finish', CLIENT, 1n, 'expired', null, expect.stringMatching(/^expired: the bulk expired at /)],
      ['expire-pending', CLIENT, BULK, expect.stringMatching(/^expired/)],
      ['complete', CLIENT, BULK],
    ]);
  });

  it('sends a recipient with an interrupted attempt through deliver, which closes its row as expired', async () => {
    const expiresAt = new Date(Date.now() - 1000);
    bulks.found = bulk({ expiresAt });
    bulks.claims = [recipient(1, { messageId: 9n, logged: { status: 'queued', upstreamMessageId: null } }), undefined];
    sender.outcomes = [new MessageExpiredError(expiresAt, null)];
    await sut.run(CLIENT, BULK);
    expect(sender.deliveries[0]).toMatchObject({ interruptedMessageId: 9n, expiresAt });
    expect(bulks.writes()[0]).toEqual(['finish', CLIENT, 1n, 'expired', null, expect.stringMatching(/^expired/)]);
  });
});
