/**
 * How a real server behaves where that depends on its surroundings (contract §11, §12). The defaults are a server
 * that reaches WhatsApp at once and deletes at once; tests switch to the observed behaviour at run time.
 */
export interface SimBehaviour {
  /**
   * false: the server cannot reach WhatsApp (as one with no phone and no route out): a connect produces no QR but a
   * reconnect loop that never ends by itself, and connectionState flips between close and connecting.
   */
  whatsappReachable: boolean;
  /** Gap between the `connecting` webhooks of one reconnect loop (real: about 5 s, later 10–15 s). */
  reconnectIntervalMs: number;
  /** How long connect holds its answer while WhatsApp cannot be reached (real: 4.6–5.6 s). */
  connectDelayMs: number;
  /** How long a deleted name stays taken after the delete's 200; its delete webhooks come when it ends (real: seconds). */
  deleteLingerMs: number;
}

export const DEFAULT_BEHAVIOUR: Readonly<SimBehaviour> = {
  whatsappReachable: true,
  reconnectIntervalMs: 5000,
  connectDelayMs: 0,
  deleteLingerMs: 0,
};

/** A behaviour setting out of range (an HTTP 400 on the control route). */
export class BehaviourError extends Error {}

/** The behaviour as given, or a BehaviourError naming the bad field. */
export function checkedBehaviour(behaviour: SimBehaviour): SimBehaviour {
  const { whatsappReachable, ...durations } = behaviour;
  if (typeof whatsappReachable !== 'boolean') throw new BehaviourError('"whatsappReachable" must be a boolean');
  for (const [field, value] of Object.entries(durations)) {
    if (!Number.isInteger(value) || value < 0)
      throw new BehaviourError(`"${field}" must be a non-negative integer (ms)`);
  }
  if (behaviour.reconnectIntervalMs < 10) throw new BehaviourError('"reconnectIntervalMs" must be at least 10');
  const { reconnectIntervalMs, connectDelayMs, deleteLingerMs } = durations;
  return { whatsappReachable, reconnectIntervalMs, connectDelayMs, deleteLingerMs };
}
