import { describe, expect, it, vi, beforeEach } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/react';
import { CreateTab } from './CreateTab';

const models = {
  models: [
    { id: 'fal-ai/flux/schnell', name: 'FLUX.1 [schnell]', task: 'text-to-image', output: 'image', description: 'fast', promptRequired: true, reference: null, params: [] },
  ],
};

beforeEach(() => {
  vi.unstubAllGlobals();
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string) => new Response(JSON.stringify(url.startsWith('/api/models') ? models : { generations: [] }), { status: 200 })),
  );
});

describe('CreateTab', () => {
  it('disables Generate without a fal key and links to Account', async () => {
    const go = vi.fn();
    render(<CreateTab user={{ id: 1, email: 'a@b.co', hasFalKey: false }} preset={null} onGoAccount={go} />);
    await screen.findByRole('option', { name: 'FLUX.1 [schnell]' });
    fireEvent.change(screen.getByLabelText('Prompt'), { target: { value: 'a cat' } });
    expect((screen.getByRole('button', { name: 'Generate' }) as HTMLButtonElement).disabled).toBe(true);
    fireEvent.click(screen.getByRole('button', { name: 'Go to Account' }));
    expect(go).toHaveBeenCalled();
  });

  it('enables Generate with a key and a prompt', async () => {
    render(<CreateTab user={{ id: 1, email: 'a@b.co', hasFalKey: true }} preset={null} onGoAccount={() => {}} />);
    await screen.findByRole('option', { name: 'FLUX.1 [schnell]' });
    expect((screen.getByRole('button', { name: 'Generate' }) as HTMLButtonElement).disabled).toBe(true);
    fireEvent.change(screen.getByLabelText('Prompt'), { target: { value: 'a cat' } });
    expect((screen.getByRole('button', { name: 'Generate' }) as HTMLButtonElement).disabled).toBe(false);
  });
});
