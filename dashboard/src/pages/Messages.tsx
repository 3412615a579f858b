import { type FormEvent, useEffect, useRef, useState } from 'react';
import { useSearchParams } from 'react-router';
import type { LiveEvent } from '../../../client/src';
import { Badge, Empty, ErrorNote, firstLoad, Loading, Pager } from '../components/common';
import { field } from '../form-field';
import { unwrap, useLiveEvents, useSession } from '../session';
import { useLoad } from '../use-load';

interface MessageRow {
  id: string;
  instance: string;
  number: string;
  message_type: string;
  status: string;
  error: string | null;
  created_at: string;
}

const STATUSES = ['scheduled', 'queued', 'sent', 'delivered', 'read', 'failed', 'cancelled', 'expired'] as const;

/** The filters of GET /messages (MessageFiltersDto), each with a labelled control below. */
interface Filters {
  instance?: string;
  status?: (typeof STATUSES)[number];
  number?: string;
  bulk_id?: string;
  from?: string;
  to?: string;
}

/** Filters a link can set (`/messages?bulk_id=…` from a bulk's page); the dates are picked on the page. */
function filtersOf(params: URLSearchParams): Filters {
  const value = (name: string) => params.get(name)?.trim() || undefined;
  return {
    instance: value('instance'),
    status: STATUSES.find((status) => status === value('status')),
    number: value('number'),
    bulk_id: value('bulk_id'),
  };
}

/** Events after which a row's status may have changed: the page is read again, at most this often. */
const LIVE_EVENTS = new Set(['messages.update', 'send.message', 'messages.upsert']);
const LIVE_REFRESH_MS = 500;

export function MessagesPage() {
  const { api, token } = useSession();
  const [params] = useSearchParams();
  const [filters, setFilters] = useState<Filters>(() => filtersOf(params));
  const [cursors, setCursors] = useState<string[]>([]);
  const [downloadError, setDownloadError] = useState<unknown>();
  const cursor = cursors.at(-1);
  const page = useLoad<{ messages: MessageRow[]; total: number; next_cursor: string | null }>(async () => {
    const answer = await unwrap(
      api.GET('/api/v1/whatsapp/messages', { params: { query: { ...filters, cursor, limit: 50 } } }),
    );
    return answer;
  }, [api, filters, cursor]);

  const pending = useRef<ReturnType<typeof setTimeout>>(undefined);
  useLiveEvents(
    (event: LiveEvent) => {
      if (!LIVE_EVENTS.has(event.event) || pending.current) return;
      pending.current = setTimeout(() => {
        pending.current = undefined;
        page.reload();
      }, LIVE_REFRESH_MS);
    },
    { onOpen: page.reload },
  );
  // No reading again for a page that is gone.
  useEffect(() => () => clearTimeout(pending.current), []);

  const applyFilters = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const value = (name: string) => field(form, name).trim() || undefined;
    const date = (name: string) => {
      const text = value(name);
      return text ? new Date(text).toISOString() : undefined;
    };
    setCursors([]);
    setFilters({
      instance: value('instance'),
      status: STATUSES.find((status) => status === value('status')),
      number: value('number'),
      bulk_id: value('bulk_id'),
      from: date('from'),
      to: date('to'),
    });
  };

  const download = () => {
    const query = new URLSearchParams({ format: 'csv' });
    for (const [key, value] of Object.entries(filters)) if (value) query.set(key, String(value));
    setDownloadError(undefined);
    fetch(`/api/v1/whatsapp/messages/export?${query.toString()}`, { headers: { Authorization: `Bearer ${token}` } })
      .then(async (response) => {
        if (!response.ok) throw new Error(((await response.json()) as { message?: string }).message);
        const link = document.createElement('a');
        link.href = URL.createObjectURL(await response.blob());
        link.download = `messages-${new Date().toISOString().slice(0, 10)}.csv`;
        link.click();
        URL.revokeObjectURL(link.href);
      })
      .catch(setDownloadError);
  };

  return (
    <section>
      <div className="page-head">
        <h1>Messages</h1>
        <button type="button" className="secondary" onClick={download}>
          Download CSV
        </button>
      </div>
      <form className="filters" onSubmit={applyFilters} aria-label="Filters">
        <label>
          Instance
          <input name="instance" defaultValue={filters.instance} />
        </label>
        <label>
          Status
          <select name="status" defaultValue={filters.status ?? ''}>
            <option value="">Any</option>
            {STATUSES.map((status) => (
              <option key={status}>{status}</option>
            ))}
          </select>
        </label>
        <label>
          Number
          <input name="number" inputMode="tel" defaultValue={filters.number} />
        </label>
        <label>
          Bulk id
          <input name="bulk_id" defaultValue={filters.bulk_id} placeholder="from the Bulk page" />
        </label>
        <label>
          From
          <input name="from" type="datetime-local" />
        </label>
        <label>
          To
          <input name="to" type="datetime-local" />
        </label>
        <button type="submit">Filter</button>
      </form>
      <ErrorNote error={page.error ?? downloadError} />
      {firstLoad(page) && <Loading what="messages" />}
      {page.data?.messages.length === 0 && <Empty>No messages match.</Empty>}
      {page.data && page.data.messages.length > 0 && (
        <>
          <p className="count">{page.data.total} messages</p>
          <table aria-label="Message log">
            <thead>
              <tr>
                <th>Id</th>
                <th>Instance</th>
                <th>Number</th>
                <th>Type</th>
                <th>Status</th>
                <th>Created</th>
              </tr>
            </thead>
            <tbody>
              {page.data.messages.map((m) => (
                <tr key={m.id} data-message-id={m.id}>
                  <td>{m.id}</td>
                  <td>{m.instance}</td>
                  <td>{m.number}</td>
                  <td>{m.message_type}</td>
                  <td>
                    <Badge value={m.status} label={`Status of message ${m.id}: ${m.status}`} />
                    {m.error && <span className="error-text"> {m.error}</span>}
                  </td>
                  <td>{new Date(m.created_at).toLocaleString()}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      <Pager pages={cursors} setPages={setCursors} next={page.data?.next_cursor} />
    </section>
  );
}
