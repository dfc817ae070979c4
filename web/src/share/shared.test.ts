import { describe, expect, it } from 'vitest';
import { takeGenerationLink, takeShareHandover } from './shared';

describe('share handover from the address bar', () => {
  it('reads shared ids and text once, and tidies the address', () => {
    window.history.replaceState(null, '', '/create?shared=abc123,def456&text=a%20fox&x=1');
    expect(takeShareHandover()).toEqual({ pending: false, ids: ['abc123', 'def456'], text: 'a fox' });
    expect(window.location.pathname + window.location.search).toBe('/create?x=1');
    expect(takeShareHandover()).toBeNull();
  });

  it('knows a pending share and drops ids that are not ids', () => {
    window.history.replaceState(null, '', '/login?shared=pending');
    expect(takeShareHandover()).toEqual({ pending: true, ids: [], text: null });
    window.history.replaceState(null, '', '/create?shared=ok1,../../x,,AB,ok2,ok3,ok4,ok5');
    expect(takeShareHandover()?.ids).toEqual(['ok1', 'ok2', 'ok3', 'ok4']);
  });

  it('reads a notification link to a generation', () => {
    window.history.replaceState(null, '', '/create?generation=gen-1');
    expect(takeGenerationLink()).toBe('gen-1');
    expect(window.location.search).toBe('');
    window.history.replaceState(null, '', '/create?generation=%3Cscript%3E');
    expect(takeGenerationLink()).toBeNull();
  });
});
