import type { ReactNode } from 'react';
import { NavLink } from 'react-router';
import { useSession } from '../session';

const CLIENT_LINKS = [
  ['/instances', 'Instances'],
  ['/messages', 'Messages'],
  ['/stats', 'Stats'],
  ['/bulk', 'Bulk'],
] as const;
const OPERATOR_LINKS = [
  ['/instances', 'Instances'],
  ['/clients', 'Clients'],
  ['/audit', 'Audit'],
] as const;

export function Layout({ children }: { children: ReactNode }) {
  const session = useSession();
  const links = session.role === 'operator' ? OPERATOR_LINKS : CLIENT_LINKS;
  return (
    <div className="shell">
      <header className="topbar">
        <strong className="brand">NextMavens</strong>
        <nav aria-label="Main">
          {links.map(([to, label]) => (
            <NavLink key={to} to={to}>
              {label}
            </NavLink>
          ))}
        </nav>
        <span className="who">{session.role === 'operator' ? `Operator ${session.name}` : session.name}</span>
        <button type="button" className="secondary" onClick={session.signOut}>
          Sign out
        </button>
      </header>
      <main>{children}</main>
    </div>
  );
}
