/** What a process knows of one upstream's health: its circuit, and why it last failed. */
export interface UpstreamHealthView {
  state: 'up' | 'down';
  /** Failures in a row since it last answered. */
  failures: number;
  lastError: string | null;
  lastErrorAt: Date | null;
  /** When the circuit opened (down) or last closed (up); null while up since the process started. */
  since: Date | null;
  lastProbeAt: Date | null;
}

/**
 * A circuit breaker for one upstream. It starts closed (up): a new process sends at once rather than refusing until a
 * first probe. `threshold` failures in a row (probes, or calls that could not reach it) open it; then calls are refused
 * without being made, so a dead server costs callers nothing and piles up no timeouts. Only a successful probe closes
 * it again: probes keep running while it is open, and serve as the half-open trial.
 */
export class UpstreamHealth {
  private view: UpstreamHealthView = {
    state: 'up',
    failures: 0,
    lastError: null,
    lastErrorAt: null,
    since: null,
    lastProbeAt: null,
  };

  constructor(private readonly threshold: number) {}

  get isUp(): boolean {
    return this.view.state === 'up';
  }

  snapshot(): UpstreamHealthView {
    return { ...this.view };
  }

  /** The probe answered: closes the circuit. True when that is a recovery (it was open). */
  probeSucceeded(now: Date): boolean {
    const recovered = this.view.state === 'down';
    this.view = { ...this.view, state: 'up', failures: 0, lastProbeAt: now, since: recovered ? now : this.view.since };
    return recovered;
  }

  probeFailed(reason: string, now: Date): boolean {
    this.view.lastProbeAt = now;
    return this.failed(reason, now);
  }

  /** A call got an answer: the server is reachable, whatever it answered. An open circuit waits for a probe. */
  answered(): void {
    if (this.view.state === 'up') this.view.failures = 0;
  }

  /** One more failure in a row. True when it opens the circuit. */
  failed(reason: string, now: Date): boolean {
    this.view.failures += 1;
    this.view.lastError = reason;
    this.view.lastErrorAt = now;
    if (this.view.state === 'down' || this.view.failures < this.threshold) return false;
    this.view.state = 'down';
    this.view.since = now;
    return true;
  }
}
