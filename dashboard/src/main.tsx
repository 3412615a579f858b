import './styles.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter, Navigate, Route, Routes } from 'react-router';
import { Layout } from './components/Layout';
import { AuditPage } from './pages/Audit';
import { BulkDetailPage, BulkPage } from './pages/Bulk';
import { ClientsPage } from './pages/Clients';
import { InstanceDetailPage } from './pages/InstanceDetail';
import { InstancesPage } from './pages/Instances';
import { MessagesPage } from './pages/Messages';
import { SignInPage } from './pages/SignIn';
import { StatsPage } from './pages/Stats';
import { SessionProvider } from './session';

function App() {
  return (
    <SessionProvider>
      {(session, notice) =>
        !session ? (
          <SignInPage notice={notice} />
        ) : (
          <Layout>
            <Routes>
              <Route path="/" element={<Navigate to="/instances" replace />} />
              <Route path="/instances" element={<InstancesPage />} />
              <Route path="/instances/:name" element={<InstanceDetailPage />} />
              {session.role === 'client' && (
                <>
                  <Route path="/messages" element={<MessagesPage />} />
                  <Route path="/stats" element={<StatsPage />} />
                  <Route path="/bulk" element={<BulkPage />} />
                  <Route path="/bulk/:id" element={<BulkDetailPage />} />
                </>
              )}
              {session.role === 'operator' && (
                <>
                  <Route path="/clients" element={<ClientsPage />} />
                  <Route path="/audit" element={<AuditPage />} />
                </>
              )}
              <Route path="*" element={<p role="alert">This page does not exist.</p>} />
            </Routes>
          </Layout>
        )
      }
    </SessionProvider>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <BrowserRouter basename="/dashboard">
      <App />
    </BrowserRouter>
  </StrictMode>,
);
