import { type FormEvent, useState } from 'react';
import { Badge, Empty, ErrorNote } from '../components/common';
import { field } from '../form-field';
import { unwrap, useSession } from '../session';
import { useLoad } from '../use-load';

export function SendTestPanel({ instance }: { instance: string }) {
  const { api } = useSession();
  const [error, setError] = useState<unknown>();
  const [sent, setSent] = useState<string>();
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setError(undefined);
    unwrap(
      api.POST('/api/v1/whatsapp/send', {
        body: { instanceName: instance, number: field(form, 'number'), text: field(form, 'text') },
      }),
    )
      .then((message) => setSent(`Message ${message.id} to ${message.number}: ${message.status}`))
      .catch(setError);
  };
  return (
    <section className="panel">
      <h2>Send a test message</h2>
      <form onSubmit={submit} className="inline">
        <label>
          Number
          <input name="number" inputMode="tel" required placeholder="254712345678" />
        </label>
        <label>
          Text
          <input name="text" required defaultValue="Hello from NextMavens!" />
        </label>
        <button type="submit">Send test message</button>
      </form>
      <ErrorNote error={error} />
      {sent && <p role="status">{sent}</p>}
    </section>
  );
}

export function WebhookPanel({ instance }: { instance: string }) {
  const { api } = useSession();
  const [error, setError] = useState<unknown>();
  const [saved, setSaved] = useState(false);
  const config = useLoad(
    () => unwrap(api.GET('/api/v1/whatsapp/webhook/{instanceName}', { params: { path: { instanceName: instance } } })),
    [api, instance],
  );
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const events = field(form, 'events')
      .split(',')
      .map((name) => name.trim())
      .filter(Boolean);
    setSaved(false);
    unwrap(
      api.PUT('/api/v1/whatsapp/webhook/{instanceName}', {
        params: { path: { instanceName: instance } },
        body: { url: field(form, 'url'), events, enabled: form.get('enabled') === 'on' },
      }),
    )
      .then(() => {
        setSaved(true);
        setError(undefined);
        config.reload();
      })
      .catch(setError);
  };
  return (
    <section className="panel">
      <h2>Webhook</h2>
      <ErrorNote error={config.error ?? error} />
      {config.data && (
        <form onSubmit={submit} key={config.data.url ?? ''}>
          <label>
            Webhook URL
            <input name="url" type="url" required defaultValue={config.data.url ?? ''} />
          </label>
          <label>
            Events (comma-separated, empty for all)
            <input name="events" defaultValue={config.data.events.join(', ')} placeholder="MESSAGES_UPDATE" />
          </label>
          <label className="check">
            <input name="enabled" type="checkbox" defaultChecked={config.data.enabled} /> Enabled
          </label>
          <button type="submit">Save webhook</button>
          {saved && <span role="status">Saved</span>}
        </form>
      )}
    </section>
  );
}

export function DeliveriesPanel({ instance }: { instance: string }) {
  const { api } = useSession();
  const [error, setError] = useState<unknown>();
  const deliveries = useLoad(async () => {
    const answer = await unwrap(
      api.GET('/api/v1/whatsapp/webhooks/deliveries', { params: { query: { instance, limit: 20 } } }),
    );
    return answer.deliveries;
  }, [api, instance]);
  const redeliver = (id: string) =>
    unwrap(api.POST('/api/v1/whatsapp/webhooks/deliveries/{id}/redeliver', { params: { path: { id } } }))
      .then(deliveries.reload)
      .catch(setError);
  return (
    <section className="panel">
      <h2>Webhook deliveries</h2>
      <ErrorNote error={deliveries.error ?? error} />
      {deliveries.data?.length === 0 && <Empty>No deliveries yet.</Empty>}
      {deliveries.data && deliveries.data.length > 0 && (
        <table>
          <thead>
            <tr>
              <th>Event</th>
              <th>Status</th>
              <th>Attempts</th>
              <th>Last answer</th>
              <th>Created</th>
              <th>
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {deliveries.data.map((d) => (
              <tr key={d.id}>
                <td>{d.event}</td>
                <td>
                  <Badge value={d.status} />
                </td>
                <td>{d.attempts}</td>
                <td>{d.last_status_code ?? d.last_error ?? '—'}</td>
                <td>{new Date(d.created_at).toLocaleString()}</td>
                <td>
                  <button type="button" className="secondary" onClick={() => void redeliver(d.id)}>
                    Redeliver
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
