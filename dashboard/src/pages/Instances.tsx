import { type FormEvent, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import type { LiveEvent } from '../../../client/src';
import { Badge, Dialog, Empty, ErrorNote, firstLoad, Loading, OffsetPager } from '../components/common';
import { field } from '../form-field';
import { unwrap, useLiveEvents, useSession } from '../session';
import { useLoad } from '../use-load';
import { useOffsetParam } from '../use-offset-param';

interface InstanceRow {
  instance_id: string;
  instance_name: string;
  status: string;
  owner_jid: string | null;
  created_at: string;
  client_name?: string;
  client_id?: number;
  upstream_name?: string | null;
}

/** Rows per page: both instance lists page by offset and answer the total. */
const PAGE_SIZE = 100;

export function InstancesPage() {
  const { api, role } = useSession();
  const [creating, setCreating] = useState(false);
  const [offset, setOffset] = useOffsetParam();
  const list = useLoad<{ instances: InstanceRow[]; total: number }>(async () => {
    const query = { limit: PAGE_SIZE, offset };
    const answer =
      role === 'operator'
        ? await unwrap(api.GET('/api/admin/instances', { params: { query } }))
        : await unwrap(api.GET('/api/v1/whatsapp/reseller/sub-instances', { params: { query } }));
    return answer;
  }, [api, role, offset]);

  const onEvent = (event: LiveEvent) => {
    if (event.event !== 'connection.update' || typeof event.data.state !== 'string') return;
    const state = event.data.state;
    list.setData(
      (current) =>
        current && {
          ...current,
          instances: current.instances.map((row) =>
            row.instance_name === event.instance ? { ...row, status: state } : row,
          ),
        },
    );
  };
  const live = useLiveEvents(onEvent, { onOpen: list.reload });

  return (
    <section>
      <div className="page-head">
        <h1>Instances</h1>
        <span className="live" title="Live updates">
          {live === 'open' ? 'live' : 'reconnecting…'}
        </span>
        {role === 'client' && (
          <button type="button" onClick={() => setCreating(true)}>
            Create instance
          </button>
        )}
      </div>
      <ErrorNote error={list.error} />
      {firstLoad(list) && <Loading what="instances" />}
      {list.data && list.data.total === 0 && (
        <Empty>
          {role === 'client' ? 'No instances yet. Create one to link a phone.' : 'No client has an instance yet.'}
        </Empty>
      )}
      {list.data && list.data.instances.length > 0 && (
        <table>
          <thead>
            <tr>
              <th>Name</th>
              {role === 'operator' && <th>Client</th>}
              {role === 'operator' && <th>Upstream</th>}
              <th>Status</th>
              <th>Phone</th>
              <th>Created</th>
            </tr>
          </thead>
          <tbody>
            {list.data.instances.map((row) => (
              <tr key={row.instance_id}>
                <td>
                  {role === 'client' ? (
                    <Link to={`/instances/${encodeURIComponent(row.instance_name)}`}>{row.instance_name}</Link>
                  ) : (
                    row.instance_name
                  )}
                </td>
                {role === 'operator' && <td>{row.client_name}</td>}
                {role === 'operator' && <td>{row.upstream_name ?? '—'}</td>}
                <td>
                  <Badge value={row.status} label={`Status of ${row.instance_name}: ${row.status}`} />
                </td>
                <td>{row.owner_jid?.split('@')[0] ?? '—'}</td>
                <td>{new Date(row.created_at).toLocaleString()}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <OffsetPager offset={offset} limit={PAGE_SIZE} total={list.data?.total} setOffset={setOffset} noun="instances" />
      {creating && <CreateInstanceDialog onClose={() => setCreating(false)} />}
    </section>
  );
}

function CreateInstanceDialog({ onClose }: { onClose: () => void }) {
  const { api } = useSession();
  const navigate = useNavigate();
  const [error, setError] = useState<unknown>();
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const instanceName = field(new FormData(event.currentTarget), 'instanceName').trim();
    unwrap(api.POST('/api/v1/whatsapp/reseller/sub-instances', { body: { instanceName } }))
      .then((created) =>
        navigate(`/instances/${encodeURIComponent(created.instance_name)}`, {
          state: { apiKey: created.api_key, webhookSecret: created.webhook_secret, showQr: true },
        }),
      )
      .catch(setError);
  };
  return (
    <Dialog title="Create instance" onClose={onClose}>
      <form onSubmit={submit}>
        <label>
          Instance name
          <input name="instanceName" required placeholder="shop-branch-1" />
        </label>
        <ErrorNote error={error} />
        <button type="submit">Create</button>
      </form>
    </Dialog>
  );
}
