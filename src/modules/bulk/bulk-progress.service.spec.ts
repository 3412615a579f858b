import { LiveEventPublisher } from '@/modules/events/live-event-publisher.service';
import { BulkRepository } from './bulk.repository';
import { BulkProgressService } from './bulk-progress.service';
import { BulkRecipientRepository } from './bulk-recipient.repository';

describe(BulkProgressService.name, () => {
  const counts = { pending: 3, sending: 1, sent: 2, delivered: 1, read: 1, failed: 1, cancelled: 0, skipped: 0 };
  let published: unknown[];
  let reads: number;
  let watch: (on: boolean) => void;
  let sut: BulkProgressService;

  beforeEach(() => {
    published = [];
    reads = 0;
    const bulks = {
      findForClient: () =>
        ++reads && Promise.resolve({ id: 'b-1', instanceId: 'i-1', status: 'running', instance: { name: 'shop' } }),
    };
    const recipients = { countsForClient: () => Promise.resolve(counts) };
    const live = {
      watching: true,
      watched: () => Promise.resolve(live.watching),
      publish: (_owner: unknown, event: unknown) => (published.push(event), Promise.resolve()),
    };
    watch = (on) => (live.watching = on);
    sut = new BulkProgressService(
      bulks as unknown as BulkRepository,
      recipients as unknown as BulkRecipientRepository,
      live as unknown as LiveEventPublisher,
    );
  });

  it('announces where the bulk stands, from its counts', async () => {
    await sut.announce(7, 'b-1');
    expect(published).toEqual([
      expect.objectContaining({
        event: 'bulk.progress',
        instance: 'shop',
        data: { bulk_id: 'b-1', status: 'running', sent: 4, failed: 1, pending: 4 },
      }),
    ]);
    expect(reads).toBe(1);
  });

  it('announces progress between recipients at most once a second, and every change of status', async () => {
    await sut.announceProgress(7, 'b-1');
    await sut.announceProgress(7, 'b-1');
    expect(published).toHaveLength(1);
    await sut.announce(7, 'b-1');
    expect(published).toHaveLength(2);
    await sut.announceProgress(7, 'b-2');
    expect(published).toHaveLength(3);
  });

  it('reads and announces nothing while no socket watches the client', async () => {
    watch(false);
    await sut.announce(7, 'b-1');
    expect(published).toEqual([]);
    expect(reads).toBe(0);
  });
});
