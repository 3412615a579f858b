import { AcceptanceTracker } from './acceptance-tracker.service';

describe(AcceptanceTracker.name, () => {
  it('holds a status for an id until its answer is stored, and lets other ids through at once', async () => {
    const tracker = new AcceptanceTracker();
    let store!: () => void;
    const order: string[] = [];
    const recorded = tracker.track(
      'WA-1',
      () => new Promise<void>((resolve) => (store = () => (order.push('stored'), resolve()))),
    );
    const waiting = tracker.settled('WA-1').then(() => order.push('status applied'));
    await tracker.settled('WA-2').then(() => order.push('other id'));
    store();
    await Promise.all([recorded, waiting]);
    expect(order).toEqual(['other id', 'stored', 'status applied']);
  });

  it('lets the status go on when storing the answer failed, and forgets the id either way', async () => {
    const tracker = new AcceptanceTracker();
    const failed = tracker.track('WA-3', () => Promise.reject(new Error('database down')));
    await expect(tracker.settled('WA-3')).resolves.toBeUndefined();
    await expect(failed).rejects.toThrow('database down');
    await expect(tracker.settled('WA-3')).resolves.toBeUndefined();
  });
});
