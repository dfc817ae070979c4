import { Component, type ReactNode } from 'react';

// TabBoundary catches a tab that failed to load or render, so one broken tab never blanks the
// whole studio. The usual cause is a new version deployed while this page was open: the old
// page asks for a chunk the server no longer has, and a reload fetches the new ones.
export class TabBoundary extends Component<{ children: ReactNode }, { failed: boolean }> {
  state = { failed: false };

  static getDerivedStateFromError() {
    return { failed: true };
  }

  render() {
    if (!this.state.failed) return this.props.children;
    return (
      <div className="card empty" role="alert">
        <p>This part of the studio could not be loaded. It may have been updated since you opened it.</p>
        <button type="button" className="btn primary" onClick={() => window.location.reload()}>
          Reload
        </button>
      </div>
    );
  }
}
