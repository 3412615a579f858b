import { useEffect, useRef, useState } from 'react';
import { useLocation, useNavigate, useParams } from 'react-router';
import type { LiveEvent } from '../../../client/src';
import { Badge, Dialog, ErrorNote, firstLoad, Loading } from '../components/common';
import { field } from '../form-field';
import { GatewayError, unwrap, useLiveEvents, useSession } from '../session';
import { useLoad } from '../use-load';
import { DeliveriesPanel, SendTestPanel, WebhookPanel } from './InstancePanels';

interface CreatedState {
  apiKey?: string;
  webhookSecret?: string;
  showQr?: boolean;
}

interface Qr {
  base64: string | null;
  pairingCode: string | null;
  state: string;
}

/** How long `Connected` stays on screen before the QR dialog closes by itself. */
const CONNECTED_CLOSE_MS = 2000;

/** One page per instance: a new name starts with fresh state (no QR, key or error of the last instance). */
export function InstanceDetailPage() {
  const name = useParams().name ?? '';
  return <InstanceDetail key={name} name={name} />;
}

function InstanceDetail({ name }: { name: string }) {
  const { api } = useSession();
  const navigate = useNavigate();
  const location = useLocation();
  // A new instance's key and secret arrive once, in the router's history state. They are kept here and the history
  // entry replaced without them, so a reload or coming Back to this page does not show them again.
  const [created] = useState(() => (location.state ?? {}) as CreatedState);
  useEffect(() => {
    if (location.state) void navigate({ pathname: location.pathname, search: location.search }, { replace: true });
  }, []);
  const [state, setState] = useState<string>();
  const [qrOpen, setQrOpen] = useState(Boolean(created.showQr));
  const [qr, setQr] = useState<Qr>();
  const [connected, setConnected] = useState(false);
  const [secret, setSecret] = useState<{ label: string; value: string }>();
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [actionError, setActionError] = useState<unknown>();
  const [pairing, setPairing] = useState<string>();
  // Live events seen so far: an HTTP answer read before the latest one is older than what the page shows.
  const events = useRef(0);

  const details = useLoad(async () => {
    const seen = events.current;
    const instance = await unwrap(
      api.GET('/api/v1/whatsapp/reseller/sub-instances/{id}', { params: { path: { id: name } } }),
    );
    if (seen === events.current) setState(instance.state);
    return instance;
  }, [api, name]);

  const loadQr = () => {
    const seen = events.current;
    unwrap(api.GET('/api/v1/whatsapp/qrcode/{instanceName}', { params: { path: { instanceName: name } } }))
      .then((answer) => {
        if (answer.state === 'open') setConnected(true);
        // The QR answer carries the live state too (the instance's own record may still say close).
        if (seen !== events.current) return;
        setQr(answer);
        setState(answer.state);
      })
      .catch(setActionError);
  };
  useEffect(() => {
    if (!qrOpen) return;
    setConnected(false);
    loadQr();
  }, [qrOpen]);
  // Once linked, the dialog shows `Connected` for a moment and closes by itself; the badge then reads `open`.
  useEffect(() => {
    if (!qrOpen || !connected) return;
    const timer = setTimeout(() => setQrOpen(false), CONNECTED_CLOSE_MS);
    return () => clearTimeout(timer);
  }, [qrOpen, connected]);

  const onEvent = (event: LiveEvent) => {
    if (event.event === 'connection.update' && typeof event.data.state === 'string') {
      events.current += 1;
      setState(event.data.state);
      if (event.data.state === 'open') setConnected(true);
    }
    if (event.event === 'qrcode.updated') {
      const code = event.data.qrcode as { base64?: string; pairingCode?: string | null } | undefined;
      if (code?.base64) {
        events.current += 1;
        setQr((current) => ({
          state: current?.state ?? 'connecting',
          pairingCode: null,
          ...current,
          base64: code.base64!,
        }));
      }
    }
  };
  const notFound = details.error instanceof GatewayError && details.error.statusCode === 404;
  // No socket for an instance that is not there (every retry would be refused); after each (re)connect, what the
  // events missed while it was closed is read again.
  useLiveEvents(onEvent, {
    instance: name,
    enabled: details.data !== undefined && !notFound,
    onOpen: () => {
      details.reload();
      if (qrOpen) loadQr();
    },
  });

  const act = (action: () => Promise<unknown>) => {
    setActionError(undefined);
    action().catch(setActionError);
  };

  if (notFound) {
    return (
      <section>
        <h1>Instance not found</h1>
        <p role="alert">There is no instance named “{name}” in your account.</p>
      </section>
    );
  }
  if (!details.data) return firstLoad(details) ? <Loading what="the instance" /> : <ErrorNote error={details.error} />;

  return (
    <section>
      <div className="page-head">
        <h1>{name}</h1>
        {state && <Badge value={state} label={`Status: ${state}`} />}
      </div>
      {created.apiKey && (
        <div className="once" role="status">
          <p>Instance created. Its API key and webhook secret are shown only now; store them safely.</p>
          <p>
            API key: <code>{created.apiKey}</code>
          </p>
          <p>
            Webhook secret: <code>{created.webhookSecret}</code>
          </p>
        </div>
      )}
      <ErrorNote error={actionError} />
      <div className="actions">
        <button type="button" onClick={() => setQrOpen(true)}>
          Show QR code
        </button>
        <button
          type="button"
          className="secondary"
          onClick={() =>
            act(() =>
              unwrap(
                api.POST('/api/v1/whatsapp/instances/{instanceName}/restart', {
                  params: { path: { instanceName: name } },
                }),
              ),
            )
          }
        >
          Restart
        </button>
        <button
          type="button"
          className="secondary"
          onClick={() =>
            act(() =>
              unwrap(
                api.POST('/api/v1/whatsapp/instances/{instanceName}/logout', {
                  params: { path: { instanceName: name } },
                }),
              ),
            )
          }
        >
          Log out
        </button>
        <button
          type="button"
          className="secondary"
          onClick={() =>
            act(async () => {
              const rotated = await unwrap(
                api.POST('/api/v1/whatsapp/reseller/sub-instances/{id}/rotate-key', {
                  params: { path: { id: name } },
                  body: {},
                }),
              );
              setSecret({ label: 'New instance API key', value: rotated.api_key });
            })
          }
        >
          Rotate key
        </button>
        <button type="button" className="danger" onClick={() => setConfirmDelete(true)}>
          Delete
        </button>
      </div>
      {secret && (
        <div className="once" role="status">
          {secret.label} (shown once): <code>{secret.value}</code>
        </div>
      )}
      {qrOpen && (
        <Dialog title={`Link ${name}`} onClose={() => setQrOpen(false)}>
          {connected ? (
            <p className="connected" role="status">
              Connected
            </p>
          ) : qr?.base64 ? (
            <img className="qr" src={qr.base64} alt={`QR code for ${name}`} />
          ) : (
            <p>Waiting for a QR code…</p>
          )}
          {!connected && (
            <form
              onSubmit={(event) => {
                event.preventDefault();
                const number = field(new FormData(event.currentTarget), 'number');
                act(async () => {
                  const answer = await unwrap(
                    api.GET('/api/v1/whatsapp/qrcode/{instanceName}', {
                      params: { path: { instanceName: name }, query: { number } },
                    }),
                  );
                  setPairing((answer as { pairing_code?: string | null }).pairing_code ?? 'not available');
                });
              }}
            >
              <label>
                Phone number (link with a code instead)
                <input name="number" inputMode="tel" required />
              </label>
              <button type="submit" className="secondary">
                Get pairing code
              </button>
              {pairing && (
                <p role="status">
                  Pairing code: <code>{pairing}</code>
                </p>
              )}
            </form>
          )}
        </Dialog>
      )}
      {confirmDelete && (
        <Dialog title={`Delete ${name}?`} onClose={() => setConfirmDelete(false)}>
          <p>The WhatsApp session is logged out and the instance removed. Its message log stays.</p>
          <button
            type="button"
            className="danger"
            onClick={() =>
              act(async () => {
                await unwrap(
                  api.DELETE('/api/v1/whatsapp/reseller/sub-instances/{id}', { params: { path: { id: name } } }),
                );
                void navigate('/instances');
              })
            }
          >
            Delete instance
          </button>
        </Dialog>
      )}
      <SendTestPanel instance={name} />
      <WebhookPanel instance={name} />
      <DeliveriesPanel instance={name} />
    </section>
  );
}
