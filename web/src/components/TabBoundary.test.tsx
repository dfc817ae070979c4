import { describe, expect, it, vi } from 'vitest';
import { render, screen } from '@testing-library/react';
import { TabBoundary } from './TabBoundary';

function Broken(): never {
  throw new Error('Failed to fetch dynamically imported module');
}

describe('TabBoundary', () => {
  it('shows a reload prompt instead of a blank studio when a tab fails to load', () => {
    const quiet = vi.spyOn(console, 'error').mockImplementation(() => {});
    render(
      <TabBoundary>
        <Broken />
      </TabBoundary>,
    );
    expect(screen.getByRole('alert').textContent).toContain('could not be loaded');
    expect(screen.getByRole('button', { name: 'Reload' })).toBeTruthy();
    quiet.mockRestore();
  });
});
