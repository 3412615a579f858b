/**
 * Owns every timer the simulator starts, so `close()` can cancel them all and jest exits cleanly.
 *
 * Two groups: `request` timers (a send's `delay`, a fault's hang) answer an open HTTP request and
 * survive `reset()`; `background` timers (status acks, webhook pacing) belong to simulated state and
 * are cancelled by `reset()`. A cancelled `sleep()` never settles: the code after it must not run
 * once the simulator is gone.
 */
export type TimerGroup = 'request' | 'background';

export class Scheduler {
  private readonly timers = new Map<NodeJS.Timeout, TimerGroup>();
  private disposed = false;

  after(ms: number, group: TimerGroup, fn: () => void): void {
    if (this.disposed) return;
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        fn();
      },
      Math.max(0, ms),
    );
    this.timers.set(timer, group);
  }

  sleep(ms: number, group: TimerGroup): Promise<void> {
    return new Promise((resolve) => this.after(ms, group, resolve));
  }

  cancel(group: TimerGroup): void {
    for (const [timer, timerGroup] of this.timers) {
      if (timerGroup !== group) continue;
      clearTimeout(timer);
      this.timers.delete(timer);
    }
  }

  dispose(): void {
    this.disposed = true;
    for (const timer of this.timers.keys()) clearTimeout(timer);
    this.timers.clear();
  }

  get isDisposed(): boolean {
    return this.disposed;
  }
}
