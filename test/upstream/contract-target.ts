import { EvolutionSimulator, startEvolutionSimulator } from './evolution-simulator';

/**
 * The server the contract suite talks to: a real Evolution API when EVOLUTION_CONTRACT_URL and
 * EVOLUTION_CONTRACT_KEY are set, otherwise a simulator started in-process (what CI runs).
 */
export interface ContractTarget {
  url: string;
  globalKey: string;
  /** Set only for the in-process simulator: the controls a real server does not have. */
  sim?: EvolutionSimulator;
  close(): Promise<void>;
}

export type ContractMode = { real: true; url: string; globalKey: string } | { real: false };

const SIM_KEY = 'contract-global-key';

/** Read from the environment when the spec file loads, so the set of tests is fixed before any of them runs. */
export function contractMode(env: NodeJS.ProcessEnv = process.env): ContractMode {
  const url = env['EVOLUTION_CONTRACT_URL']?.trim();
  const globalKey = env['EVOLUTION_CONTRACT_KEY']?.trim();
  if (!url) return { real: false };
  // A real server without its key would fail every test with 401s that say nothing about the contract.
  if (!globalKey) throw new Error('EVOLUTION_CONTRACT_URL is set but EVOLUTION_CONTRACT_KEY (its global key) is not');
  return { real: true, url: url.replace(/\/+$/, ''), globalKey };
}

export async function openContractTarget(mode: ContractMode): Promise<ContractTarget> {
  if (mode.real) return { url: mode.url, globalKey: mode.globalKey, close: () => Promise.resolve() };
  const sim = await startEvolutionSimulator({ port: 0, globalKey: SIM_KEY });
  return { url: sim.url, globalKey: SIM_KEY, sim, close: () => sim.close() };
}

/** This run's mark in every instance name: a real server is shared with other runs and other clients. */
const RUN = `${process.pid.toString(36)}${Date.now().toString(36)}`;
let seq = 0;

/** A name no other run can hold (a name deleted a moment ago stays taken for a few seconds, contract §12). */
export function uniqueInstanceName(label: string): string {
  seq += 1;
  return `contract-${RUN}-${seq}-${label}`;
}
