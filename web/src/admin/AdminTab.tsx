import { useEffect, useState } from 'react';
import { api, type User } from '../lib/api';
import { UsersPanel } from './UsersPanel';
import { InvitesPanel } from './InvitesPanel';
import { AuditPanel } from './AuditPanel';
import { PoliciesPanel } from './PoliciesPanel';
import { AdminSpend } from '../account/AdminSpend';

type Section = 'people' | 'spending' | 'invites' | 'audit' | 'policies';
const SECTIONS: { id: Section; label: string }[] = [
  { id: 'people', label: 'People' },
  { id: 'invites', label: 'Invites' },
  { id: 'audit', label: 'Audit log' },
  { id: 'spending', label: 'Spending' },
  { id: 'policies', label: 'Policies' },
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
              tabIndex={section === s.id ? 0 : -1}
              onClick={() => setSection(s.id)}
              onKeyDown={(e) => {
                // Arrow keys move between the sections (the WAI-ARIA tabs pattern).
                const step = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
                if (!step) return;
                e.preventDefault();
                const i = SECTIONS.findIndex((x) => x.id === s.id);
                const next = SECTIONS[(i + step + SECTIONS.length) % SECTIONS.length].id;
                setSection(next);
                document.getElementById(`admin-tab-${next}`)?.focus();
              }}
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
        {section === 'policies' && <PoliciesPanel />}
      </div>
    </div>
  );
}
