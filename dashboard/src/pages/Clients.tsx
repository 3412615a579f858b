import { type FormEvent, useState } from 'react';
import { Badge, Dialog, Empty, ErrorNote, firstLoad, Loading, OffsetPager } from '../components/common';
import { field } from '../form-field';
import { unwrap, useSession } from '../session';
import { useLoad } from '../use-load';
import { useOffsetParam } from '../use-offset-param';

interface ClientRow {
  id: number;
  name: string;
  active: boolean;
  rate_limit: number;
  daily_cap: number;
  max_instances: number;
  api_key_prefix: string | null;
  created_at: string;
}

/** The limits an operator edits, with their labels. */
const LIMITS = [
  ['rate_limit', 'Requests per minute'],
  ['daily_cap', 'Messages per day'],
  ['max_instances', 'Max instances'],
] as const;

/** Rows per page (the admin route pages by offset, at most 200 a page, and answers the total). */
const PAGE_SIZE = 50;

export function ClientsPage() {
  const { api } = useSession();
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<ClientRow>();
  const [shownKey, setShownKey] = useState<{ name: string; key: string }>();
  const [error, setError] = useState<unknown>();
  const [offset, setOffset] = useOffsetParam();
  const list = useLoad(
    () => unwrap(api.GET('/api/admin/clients', { params: { query: { limit: PAGE_SIZE, offset } } })),
    [api, offset],
  );
  const rows = list.data?.clients;

  const rotate = (row: ClientRow) =>
    unwrap(api.POST('/api/admin/clients/{id}/rotate-key', { params: { path: { id: row.id } }, body: {} }))
      .then((rotated) => setShownKey({ name: row.name, key: rotated.api_key }))
      .then(list.reload)
      .catch(setError);
  const setActive = (row: ClientRow, active: boolean) =>
    unwrap(api.PATCH('/api/admin/clients/{id}', { params: { path: { id: row.id } }, body: { active } }))
      .then(list.reload)
      .catch(setError);

  return (
    <section>
      <div className="page-head">
        <h1>Clients</h1>
        <button type="button" onClick={() => setCreating(true)}>
          Create client
        </button>
      </div>
      <ErrorNote error={list.error ?? error} />
      {shownKey && (
        <div className="once" role="status">
          API key of {shownKey.name} (shown once, store it now): <code>{shownKey.key}</code>
        </div>
      )}
      {firstLoad(list) && <Loading what="clients" />}
      {list.data?.total === 0 && <Empty>No clients yet.</Empty>}
      {rows && rows.length > 0 && (
        <table>
          <thead>
            <tr>
              <th>Name</th>
              <th>Status</th>
              <th>Key</th>
              {LIMITS.map(([, label]) => (
                <th key={label}>{label}</th>
              ))}
              <th>
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.id}>
                <td>{row.name}</td>
                <td>
                  <Badge value={row.active ? 'active' : 'inactive'} />
                </td>
                <td>
                  <code>{row.api_key_prefix ?? '—'}…</code>
                </td>
                {LIMITS.map(([field]) => (
                  <td key={field}>{row[field]}</td>
                ))}
                <td>
                  <span className="row-actions">
                    <button type="button" className="secondary" onClick={() => setEditing(row)}>
                      Edit limits
                    </button>
                    <button type="button" className="secondary" onClick={() => void rotate(row)}>
                      Rotate key
                    </button>
                    <button type="button" className="danger" onClick={() => void setActive(row, !row.active)}>
                      {row.active ? 'Deactivate' : 'Activate'}
                    </button>
                  </span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <OffsetPager offset={offset} limit={PAGE_SIZE} total={list.data?.total} setOffset={setOffset} noun="clients" />
      {creating && (
        <CreateClientDialog
          onClose={() => setCreating(false)}
          onCreated={(name, key) => {
            setCreating(false);
            setShownKey({ name, key });
            list.reload();
          }}
        />
      )}
      {editing && (
        <EditLimitsDialog
          client={editing}
          onClose={() => setEditing(undefined)}
          onSaved={() => {
            setEditing(undefined);
            list.reload();
          }}
        />
      )}
    </section>
  );
}

function CreateClientDialog({
  onClose,
  onCreated,
}: {
  onClose: () => void;
  onCreated: (name: string, key: string) => void;
}) {
  const { api } = useSession();
  const [error, setError] = useState<unknown>();
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const name = field(new FormData(event.currentTarget), 'name').trim();
    unwrap(api.POST('/api/admin/clients', { body: { name } }))
      .then((created) => onCreated(created.name, created.api_key))
      .catch(setError);
  };
  return (
    <Dialog title="Create client" onClose={onClose}>
      <form onSubmit={submit}>
        <label>
          Client name
          <input name="name" required />
        </label>
        <ErrorNote error={error} />
        <button type="submit">Create</button>
      </form>
    </Dialog>
  );
}

function EditLimitsDialog({
  client,
  onClose,
  onSaved,
}: {
  client: ClientRow;
  onClose: () => void;
  onSaved: () => void;
}) {
  const { api } = useSession();
  const [error, setError] = useState<unknown>();
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const body = Object.fromEntries(LIMITS.map(([field]) => [field, Number(form.get(field))]));
    unwrap(api.PATCH('/api/admin/clients/{id}', { params: { path: { id: client.id } }, body }))
      .then(onSaved)
      .catch(setError);
  };
  return (
    <Dialog title={`Limits of ${client.name}`} onClose={onClose}>
      <form onSubmit={submit}>
        {LIMITS.map(([field, label]) => (
          <label key={field}>
            {label}
            <input name={field} type="number" min={0} required defaultValue={client[field]} />
          </label>
        ))}
        <ErrorNote error={error} />
        <button type="submit">Save</button>
      </form>
    </Dialog>
  );
}
