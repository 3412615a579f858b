'use strict';
/**
 * Preloaded (`node -r`) into every process the benchmark starts. The benchmark talks to its children over an IPC
 * channel that the OS closes when the benchmark dies, however it dies (even SIGKILL): the child then shuts itself
 * down (SIGTERM first, so the gateway drains and writes its CPU profile, then a hard exit), so no orphan keeps a
 * port, a database connection or a CPU busy.
 */
if (typeof process.send === 'function') {
  process.once('disconnect', () => {
    setTimeout(() => process.exit(1), 5000).unref();
    process.kill(process.pid, 'SIGTERM');
  });
}
