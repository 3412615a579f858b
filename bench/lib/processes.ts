import { ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');
const EXIT_WITH_PARENT = path.join(__dirname, 'exit-with-parent.js');
const MAX_OUTPUT = 64 * 1024;

export interface Child {
  name: string;
  pid: number;
  child: ChildProcess;
  /** The last 64 KiB of stdout and stderr, for error messages. */
  output: () => string;
  exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. Safe to call twice. */
  stop: (graceMs?: number) => Promise<void>;
}

/**
 * Runs a TypeScript entry point as its own Node process, so it never shares an event loop with the load generator.
 * ts-node compiles each file on load in transpile-only mode (per-file, like the swc transform the test suite uses):
 * the same JavaScript a build produces, without type-checking the whole program at every start (which takes a core
 * for the better part of a minute, and refuses to start on a type error anywhere in the program).
 */
export function spawnTs(
  name: string,
  entry: string,
  env: Record<string, string | undefined>,
  nodeArgs: string[] = [],
): Child {
  const child = spawn(
    process.execPath,
    // A built entry (dist/*.js, as `npm run start:prod` runs it) needs no compiler in the process.
    entry.endsWith('.js')
      ? [...nodeArgs, '-r', EXIT_WITH_PARENT, entry]
      : [...nodeArgs, '-r', EXIT_WITH_PARENT, '-r', 'ts-node/register', '-r', 'tsconfig-paths/register', entry],
    {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, TS_NODE_TRANSPILE_ONLY: 'true', ...env },
      // The IPC channel is only there so the child notices when the benchmark dies (exit-with-parent.js).
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    },
  );
  if (child.pid === undefined) throw new Error(`could not start ${name}`);
  let output = '';
  const append = (d: Buffer) => {
    output += d.toString();
    if (output.length > MAX_OUTPUT) output = output.slice(-MAX_OUTPUT);
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  return {
    name,
    pid: child.pid,
    child,
    output: () => output,
    exited,
    stop: async (graceMs = 10000) => {
      if (!gone()) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => {
          if (!gone()) child.kill('SIGKILL');
        }, graceMs);
        await exited;
        clearTimeout(timer);
      }
      if (child.connected) child.disconnect();
    },
  };
}

/** Polls `probe` until it returns something other than undefined/false; fails early when `child` exits. */
export async function waitUntil<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined | false>,
  child?: Child,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (child && (child.child.exitCode !== null || child.child.signalCode !== null)) {
      throw new Error(
        `${child.name} exited (${child.child.exitCode ?? child.child.signalCode}) while waiting for ${what}:\n${child.output().slice(-4000)}`,
      );
    }
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const suffix = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${suffix}${child ? `\n${child.output().slice(-4000)}` : ''}`,
  );
}

/**
 * Everything the benchmark must undo, undone in reverse order exactly once: on success, on an exception, and on
 * SIGINT/SIGTERM (Ctrl-C during a run still stops the children and drops the database).
 */
export class Cleanup {
  private readonly steps: { what: string; fn: () => unknown }[] = [];
  private running?: Promise<void>;

  add(what: string, fn: () => unknown): void {
    this.steps.push({ what, fn });
  }

  run(): Promise<void> {
    this.running ??= (async () => {
      while (this.steps.length > 0) {
        const step = this.steps.pop()!;
        try {
          await step.fn();
        } catch (err) {
          process.stderr.write(`cleanup: ${step.what} failed: ${err instanceof Error ? err.message : String(err)}\n`);
        }
      }
    })();
    return this.running;
  }

  /** Runs the cleanup on Ctrl-C, SIGTERM and crashes, then exits. */
  installSignalHandlers(): void {
    const bail = (why: string, code: number) => {
      process.stderr.write(`\n${why}: stopping children and dropping the benchmark database...\n`);
      const hard = setTimeout(() => process.exit(code), 30000);
      hard.unref();
      void this.run().finally(() => process.exit(code));
    };
    process.once('SIGINT', () => bail('SIGINT', 130));
    process.once('SIGTERM', () => bail('SIGTERM', 143));
    process.once('uncaughtException', (err) => {
      process.stderr.write(`${err.stack ?? String(err)}\n`);
      bail('uncaught exception', 1);
    });
  }
}

/** Runs a benchmark's entry point and exits with its outcome: 0, or 1 with the error (its cleanup has run by then). */
export function runMain(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
