import { EvolutionError } from '@/integrations/evolution/evolution.errors';
import { UpstreamHealth } from './upstream-health';
import { failureReason } from './upstream-pool.service';

const at = (s: number) => new Date(Date.UTC(2026, 11, 1, 0, 0, s));

describe('UpstreamHealth', () => {
  it('starts up, so a new process sends at once', () => {
    const health = new UpstreamHealth(3);
    expect(health.isUp).toBe(true);
    expect(health.snapshot()).toMatchObject({ state: 'up', failures: 0, lastError: null, since: null });
  });

  it('opens after `threshold` failures in a row, probes and calls alike, and says why and since when', () => {
    const health = new UpstreamHealth(3);
    expect(health.probeFailed('unreachable: ECONNREFUSED', at(1))).toBe(false);
    expect(health.failed('unreachable: ECONNRESET', at(2))).toBe(false);
    expect(health.isUp).toBe(true);
    expect(health.probeFailed('no answer within 3000 ms', at(3))).toBe(true);
    expect(health.isUp).toBe(false);
    expect(health.snapshot()).toEqual({
      state: 'down',
      failures: 3,
      lastError: 'no answer within 3000 ms',
      lastErrorAt: at(3),
      since: at(3),
      lastProbeAt: at(3),
    });
    // Further failures keep it open without opening it again.
    expect(health.failed('unreachable: ECONNREFUSED', at(4))).toBe(false);
    expect(health.snapshot().since).toEqual(at(3));
  });

  it('counts failures in a row only: an answer in between starts the count again', () => {
    const health = new UpstreamHealth(2);
    health.failed('unreachable: ECONNREFUSED', at(1));
    health.answered();
    expect(health.failed('unreachable: ECONNREFUSED', at(2))).toBe(false);
    expect(health.isUp).toBe(true);
  });

  it('stays open while calls answer: only a successful probe closes it, and that counts as a recovery', () => {
    const health = new UpstreamHealth(1);
    health.probeFailed('unreachable: ECONNREFUSED', at(1));
    health.answered();
    expect(health.isUp).toBe(false);
    expect(health.probeSucceeded(at(5))).toBe(true);
    expect(health.snapshot()).toMatchObject({ state: 'up', failures: 0, since: at(5), lastProbeAt: at(5) });
    // The last error stays on record for the operator.
    expect(health.snapshot().lastError).toBe('unreachable: ECONNREFUSED');
    expect(health.probeSucceeded(at(6))).toBe(false);
  });
});

describe('failureReason', () => {
  it('says why in words a tenant may read: no host, no port, no upstream body', () => {
    const unreachable = new EvolutionError('unreachable', 'The WhatsApp server is unreachable (ECONNREFUSED)', 0, true);
    expect(failureReason(unreachable, 3000)).toBe('unreachable: ECONNREFUSED');
    expect(failureReason(new EvolutionError('timeout', 'late', 0, true), 3000)).toBe('no answer within 3000 ms');
    expect(failureReason(new EvolutionError('unauthorized', 'no', 401, false), 3000)).toBe(
      "it rejects the gateway's API key",
    );
    expect(failureReason(new EvolutionError('upstream_error', 'x', 502, true), 3000)).toBe('it answers HTTP 502');
    expect(failureReason(new Error('connect ECONNREFUSED 10.0.0.5:8080'), 3000)).toBe('the probe failed');
  });
});
