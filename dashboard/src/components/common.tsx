import { type Dispatch, type ReactNode, type SetStateAction, useEffect, useRef } from 'react';

/** The gateway's error message, shown where the action happened. */
export function ErrorNote({ error }: { error: unknown }) {
  if (!error) return null;
  const message = error instanceof Error ? error.message : 'Something went wrong; try again.';
  return (
    <p role="alert" className="error">
      {message}
    </p>
  );
}

const BADGE_CLASS: Record<string, string> = {
  open: 'ok',
  connected: 'ok',
  delivered: 'ok',
  read: 'ok',
  completed: 'ok',
  sent: 'info',
  running: 'info',
  connecting: 'warn',
  queued: 'warn',
  paused: 'warn',
  scheduled: 'warn',
  pending: 'warn',
  close: 'bad',
  refused: 'bad',
  failed: 'bad',
  cancelled: 'bad',
  expired: 'bad',
};

export function Badge({ value, label }: { value: string; label?: string }) {
  return (
    <span className={`badge ${BADGE_CLASS[value] ?? ''}`} aria-label={label}>
      {value}
    </span>
  );
}

/** A modal dialog on the native <dialog> element: focus stays inside and Escape closes it. */
export function Dialog({ title, onClose, children }: { title: string; onClose: () => void; children: ReactNode }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    return () => dialog?.close();
  }, []);
  return (
    <dialog ref={ref} aria-label={title} onCancel={onClose}>
      <h2>{title}</h2>
      {children}
      <button type="button" className="secondary close" onClick={onClose}>
        Close
      </button>
    </dialog>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}

/** Shown while a page's first load runs (later loads keep the rows on screen until the new ones arrive). */
export function Loading({ what }: { what: string }) {
  return (
    <p className="loading" role="status">
      Loading {what}…
    </p>
  );
}

/** The first load of `load` is still running: nothing to show yet, and nothing went wrong. */
export function firstLoad(load: { loading: boolean; data?: unknown; error?: unknown }): boolean {
  return load.loading && load.data === undefined && !load.error;
}

/**
 * Keyset paging: `pages` holds the cursor of every page before the one shown (the last one is the current page's),
 * `next` is the answer's cursor of the following page (null on the last page).
 */
export function Pager<C>({
  pages,
  setPages,
  next,
  labels = ['Newer', 'Older'],
}: {
  pages: C[];
  setPages: Dispatch<SetStateAction<C[]>>;
  next: C | null | undefined;
  labels?: [string, string];
}) {
  return (
    <div className="pager">
      <button
        type="button"
        className="secondary"
        disabled={pages.length === 0}
        onClick={() => setPages((current) => current.slice(0, -1))}
      >
        {labels[0]}
      </button>
      <button
        type="button"
        className="secondary"
        disabled={next === null || next === undefined}
        onClick={() => next !== null && next !== undefined && setPages((current) => [...current, next])}
      >
        {labels[1]}
      </button>
    </div>
  );
}

/**
 * Offset paging, for the routes that page with `limit` and `offset` and answer the `total`: where the page starts and
 * ends among all rows, and Previous / Next.
 */
export function OffsetPager({
  offset,
  limit,
  total,
  setOffset,
  noun,
}: {
  offset: number;
  limit: number;
  total: number | undefined;
  setOffset: (offset: number) => void;
  noun: string;
}) {
  if (total === undefined || total === 0) return null;
  const last = Math.min(offset + limit, total);
  return (
    <div className="pager">
      <span className="count" aria-live="polite">
        {offset < total ? `${offset + 1}–${last} of ${total} ${noun}` : `No more ${noun}: there are ${total}`}
      </span>
      <button
        type="button"
        className="secondary"
        disabled={offset === 0}
        onClick={() => setOffset(Math.max(0, offset - limit))}
      >
        Previous
      </button>
      <button type="button" className="secondary" disabled={last >= total} onClick={() => setOffset(offset + limit)}>
        Next
      </button>
    </div>
  );
}
