import { useState } from 'react';
import { Empty, ErrorNote, firstLoad, Loading, Pager } from '../components/common';
import { unwrap, useSession } from '../session';
import { useLoad } from '../use-load';

interface AuditEvent {
  id: string;
  actor_type: string;
  actor_id: string | null;
  client_id: number | null;
  action: string;
  target_type: string;
  target_id: string | null;
  created_at: string;
}

export function AuditPage() {
  const { api } = useSession();
  const [cursors, setCursors] = useState<string[]>([]);
  const page = useLoad<{ events: AuditEvent[]; next_cursor: string | null }>(async () => {
    const answer = await unwrap(
      api.GET('/api/admin/audit', { params: { query: { cursor: cursors.at(-1), limit: 50 } } }),
    );
    return answer;
  }, [api, cursors]);
  return (
    <section>
      <h1>Audit</h1>
      <ErrorNote error={page.error} />
      {firstLoad(page) && <Loading what="the audit log" />}
      {page.data?.events.length === 0 && <Empty>Nothing recorded yet.</Empty>}
      {page.data && page.data.events.length > 0 && (
        <table aria-label="Audit log">
          <thead>
            <tr>
              <th>When</th>
              <th>Who</th>
              <th>Action</th>
              <th>Target</th>
              <th>Client</th>
            </tr>
          </thead>
          <tbody>
            {page.data.events.map((e) => (
              <tr key={e.id}>
                <td>{new Date(e.created_at).toLocaleString()}</td>
                <td>
                  {e.actor_type} {e.actor_id}
                </td>
                <td>{e.action}</td>
                <td>
                  {e.target_type} {e.target_id}
                </td>
                <td>{e.client_id ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager pages={cursors} setPages={setCursors} next={page.data?.next_cursor} />
    </section>
  );
}
