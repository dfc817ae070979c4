import { useEffect, useState } from 'react';
import { api, type User } from '../lib/api';
import { UsersPanel } from './UsersPanel';
import { InvitesPanel } from './InvitesPanel';
import { AuditPanel } from './AuditPanel';
import { AdminSpend } from '../account/AdminSpend';

type Section = 'people' | 'spending' | 'invites' | 'audit';
const SECTIONS: { id: Section; label: string }[] = [
  { id: 'people', label: 'People' },
  { id: 'spending', label: 'Spending' },
  { id: 'invites', label: 'Invites' },
  { id: 'audit', label: 'Audit log' },
];

/** The Admin tab: accounts, invites and the audit log. Only rendered for admins; the API refuses members anyway. */
export function AdminTab({ me, onMeChanged }: { me: User; onMeChanged: () => void }) {
  const [section, setSection] = useState<Section>('people');
  const [signupMode, setSignupMode] = useState<string | null>(null);
  useEffect(() => {
    api
      .status()
      .then((s) => setSignupMode(s.signupMode))
      .catch(() => setSignupMode(null));
  }, []);
  return (
    <div className="admin">
      <div className="toolbar">
        <div className="segmented" role="tablist" aria-label="Admin sections">
          {SECTIONS.map((s) => (
            <button
              key={s.id}
              type="button"
              role="tab"
              id={`admin-tab-${s.id}`}
              aria-selected={section === s.id}
              aria-controls={`admin-panel-${s.id}`}
              className={section === s.id ? 'active' : ''}
              onClick={() => setSection(s.id)}
            >
              {s.label}
            </button>
          ))}
        </div>
        {signupMode && (
          <span className="hint" data-testid="signup-mode">
            Sign-up: {signupMode === 'open' ? 'open to anyone' : signupMode === 'invite' ? 'by invite only' : 'closed (invites still work)'}
          </span>
        )}
      </div>
      <div id={`admin-panel-${section}`} role="tabpanel" aria-labelledby={`admin-tab-${section}`}>
        {section === 'people' && <UsersPanel me={me} onMeChanged={onMeChanged} />}
        {section === 'spending' && <AdminSpend />}
        {section === 'invites' && <InvitesPanel signupMode={signupMode} />}
        {section === 'audit' && <AuditPanel />}
      </div>
    </div>
  );
}
