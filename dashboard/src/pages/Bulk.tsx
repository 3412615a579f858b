import { useState } from 'react';
import { Link, useParams } from 'react-router';
import type { components, LiveEvent } from '../../../client/src';
import { Badge, Empty, ErrorNote, firstLoad, Loading, Pager } from '../components/common';
import { unwrap, useLiveEvents, useSession } from '../session';
import { useLoad } from '../use-load';

type BulkRow = components['schemas']['BulkOverviewDto'];
type BulkDetail = components['schemas']['BulkResponseDto'];
type BulkState = Pick<BulkRow, 'bulk_id' | 'status' | 'pause_reason'>;

/** The data of a `bulk.progress` live event. */
interface BulkProgress {
  bulk_id: string;
  status: BulkRow['status'];
  sent: number;
  failed: number;
  pending: number;
}

function ProgressBar({ row }: { row: Pick<BulkRow, 'bulk_id' | 'progress'> }) {
  const percent = Math.round(row.progress * 100);
  return (
    <progress max={100} value={percent} aria-label={`Progress of bulk ${row.bulk_id}: ${percent}%`}>
      {percent}%
    </progress>
  );
}

/** A bulk.progress event folded into a row: its status and counts as the worker reports them. */
function applyProgress(row: BulkRow, progress: BulkProgress): BulkRow {
  const done = row.total - progress.pending;
  return {
    ...row,
    status: progress.status,
    counts: { ...row.counts, sent: progress.sent, failed: progress.failed, pending: progress.pending },
    progress: row.total === 0 ? 1 : done / row.total,
  };
}

function BulkActions<T extends BulkState>({ row, onChange }: { row: T; onChange: (row: T) => void }) {
  const { api } = useSession();
  const [error, setError] = useState<unknown>();
  const run = (action: 'pause' | 'resume' | 'cancel') => {
    const path = `/api/v1/whatsapp/send-bulk/{id}/${action}` as const;
    unwrap(api.POST(path, { params: { path: { id: row.bulk_id } } }))
      .then((answer) => onChange({ ...row, ...answer }))
      .catch(setError);
  };
  const active = row.status === 'running' || row.status === 'queued';
  return (
    <span className="row-actions">
      {active && (
        <button type="button" className="secondary" onClick={() => run('pause')}>
          Pause
        </button>
      )}
      {row.status === 'paused' && (
        <button type="button" className="secondary" onClick={() => run('resume')}>
          Resume
        </button>
      )}
      {(active || row.status === 'paused') && (
        <button type="button" className="danger" onClick={() => run('cancel')}>
          Cancel
        </button>
      )}
      <ErrorNote error={error} />
    </span>
  );
}

export function BulkPage() {
  const { api } = useSession();
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors.at(-1);
  const list = useLoad(
    () => unwrap(api.GET('/api/v1/whatsapp/send-bulk', { params: { query: { limit: 50, cursor } } })),
    [api, cursor],
  );
  const rows = list.data?.bulks;
  const setRows = (update: (rows: BulkRow[]) => BulkRow[]) =>
    list.setData((current) => current && { ...current, bulks: update(current.bulks) });
  const replace = (next: BulkRow) => setRows((all) => all.map((row) => (row.bulk_id === next.bulk_id ? next : row)));
  useLiveEvents(
    (event: LiveEvent) => {
      if (event.event !== 'bulk.progress') return;
      const progress = event.data as unknown as BulkProgress;
      if (rows?.some((row) => row.bulk_id === progress.bulk_id)) {
        setRows((all) => all.map((row) => (row.bulk_id === progress.bulk_id ? applyProgress(row, progress) : row)));
        return;
      }
      // A bulk started since the list was read belongs on the first page (newest first): read it again to show it.
      if (cursor === undefined) list.reload();
    },
    { onOpen: list.reload },
  );
  return (
    <section>
      <h1>Bulk</h1>
      <ErrorNote error={list.error} />
      {firstLoad(list) && <Loading what="bulk sends" />}
      {rows?.length === 0 && <Empty>No bulk sends yet. Start one with POST /api/v1/whatsapp/send-bulk.</Empty>}
      {rows && rows.length > 0 && (
        <table>
          <thead>
            <tr>
              <th>Bulk</th>
              <th>Instance</th>
              <th>Status</th>
              <th>Progress</th>
              <th>Sent / failed / total</th>
              <th>
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.bulk_id}>
                <td>
                  <Link to={`/bulk/${row.bulk_id}`}>{new Date(row.created_at).toLocaleString()}</Link>
                </td>
                <td>{row.instance}</td>
                <td>
                  <Badge value={row.status} />
                  {row.pause_reason && <span className="hint"> {row.pause_reason}</span>}
                </td>
                <td>
                  <ProgressBar row={row} />
                </td>
                <td>
                  {row.counts.sent ?? 0} / {row.counts.failed ?? 0} / {row.total}
                </td>
                <td>
                  <BulkActions row={row} onChange={replace} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager pages={cursors} setPages={setCursors} next={list.data?.next_cursor} />
    </section>
  );
}

export function BulkDetailPage() {
  const id = useParams().id ?? '';
  const { api } = useSession();
  const [after, setAfter] = useState<number[]>([]);
  const detail = useLoad<BulkDetail>(async () => {
    const answer = await unwrap(
      api.GET('/api/v1/whatsapp/send-bulk/{id}', {
        params: { path: { id }, query: { after: after.at(-1) ?? 0, limit: 100 } },
      }),
    );
    return answer;
  }, [api, id, after]);
  useLiveEvents(
    (event: LiveEvent) => {
      if (event.event === 'bulk.progress' && (event.data as unknown as BulkProgress).bulk_id === id) detail.reload();
    },
    { onOpen: detail.reload },
  );
  const data = detail.data;
  return (
    <section>
      <h1>Bulk {id.slice(0, 8)}</h1>
      <ErrorNote error={detail.error} />
      {firstLoad(detail) && <Loading what="the bulk" />}
      {data && (
        <>
          <p>
            <Badge value={data.status} /> {data.instance} · <ProgressBar row={data} />{' '}
            <BulkActions row={data} onChange={() => detail.reload()} />
          </p>
          <p>
            <Link to={`/messages?bulk_id=${encodeURIComponent(id)}`}>Its messages in the message log</Link>
          </p>
          <table aria-label="Recipients">
            <thead>
              <tr>
                <th>#</th>
                <th>Number</th>
                <th>Status</th>
                <th>Sent</th>
              </tr>
            </thead>
            <tbody>
              {data.recipients.map((r) => (
                <tr key={r.position}>
                  <td>{r.position}</td>
                  <td>{r.number}</td>
                  <td>
                    <Badge value={r.status} />
                    {r.error && <span className="error-text"> {r.error}</span>}
                  </td>
                  <td>{r.sent_at ? new Date(r.sent_at).toLocaleString() : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pager pages={after} setPages={setAfter} next={data.next_after} labels={['Previous', 'Next']} />
        </>
      )}
    </section>
  );
}
