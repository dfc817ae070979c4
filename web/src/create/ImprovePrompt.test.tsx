import { afterEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { ImprovePrompt } from './ImprovePrompt';
import { CastChips, MentionSuggestions } from './CastChips';
import type { CastMember } from '../lib/api';

afterEach(() => vi.unstubAllGlobals());

describe('ImprovePrompt', () => {
  it('shows the rewrite with its cost; the original stays until it is accepted', async () => {
    const fetchMock = vi.fn(async (_url: string, _init?: RequestInit) => new Response(JSON.stringify({ prompt: 'a fox in deep snow, soft light', costUsd: 0.000412 }), { status: 200 }));
    vi.stubGlobal('fetch', fetchMock);
    const onAccept = vi.fn();
    render(<ImprovePrompt prompt="a fox" model="fal-ai/flux/dev" onAccept={onAccept} />);
    fireEvent.click(screen.getByRole('button', { name: 'Improve' }));
    await screen.findByTestId('prompt-suggestion');
    const [url, init] = fetchMock.mock.calls[0];
    expect(url).toBe('/api/prompts/enhance');
    expect(JSON.parse(String(init?.body))).toEqual({ prompt: 'a fox', model: 'fal-ai/flux/dev' });
    expect(screen.getByLabelText(/Suggested prompt · \$0\.00041/)).toBeTruthy();
    expect(onAccept).not.toHaveBeenCalled();
    fireEvent.change(screen.getByLabelText(/Suggested prompt/), { target: { value: 'a fox in deep snow' } });
    fireEvent.click(screen.getByRole('button', { name: 'Use suggestion' }));
    expect(onAccept).toHaveBeenCalledWith('a fox in deep snow');
    await waitFor(() => expect(screen.queryByTestId('prompt-suggestion')).toBeNull());
  });

  it('discards a suggestion, and says why when none came', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => new Response(JSON.stringify({ error: { code: 'budget_exceeded', message: 'Over your budget.' } }), { status: 409 })));
    render(<ImprovePrompt prompt="a fox" model="fal-ai/flux/dev" onAccept={() => {}} />);
    fireEvent.click(screen.getByRole('button', { name: 'Improve' }));
    expect((await screen.findByRole('alert')).textContent).toContain('Over your budget.');
  });
});

const mia: CastMember = {
  id: 'c1', name: 'Mia', kind: 'person', description: 'red hair', shared: false, owner: { id: 1, email: 'a@example.com' },
  images: [{ id: 'i1', url: '/api/cast/c1/images/i1' }, { id: 'i2', url: '/api/cast/c1/images/i2' }], createdAt: '', updatedAt: '',
};

describe('CastChips', () => {
  it('disables chips on a model without a reference field and says how many pictures are used', () => {
    const onChange = vi.fn();
    const { rerender } = render(<CastChips cast={[mia]} selected={[]} reference={null} useDescription={false} onChange={onChange} onUseDescription={() => {}} />);
    expect((screen.getByRole('button', { name: '@Mia' }) as HTMLButtonElement).disabled).toBe(true);
    rerender(<CastChips cast={[mia]} selected={[]} reference={{ field: 'image_url', min: 1, max: 1, multiple: false }} useDescription={false} onChange={onChange} onUseDescription={() => {}} />);
    fireEvent.click(screen.getByRole('button', { name: '@Mia (1 of 2 pictures)' }));
    expect(onChange).toHaveBeenCalledWith(['c1']);
  });
});

describe('MentionSuggestions', () => {
  it('offers the members matching what follows a trailing @ and completes the mention', () => {
    const onPick = vi.fn();
    const { rerender, container } = render(<MentionSuggestions prompt="a photo of me@" cast={[mia]} onPick={onPick} />);
    expect(container.textContent).toBe('');
    rerender(<MentionSuggestions prompt="a photo of @m" cast={[mia]} onPick={onPick} />);
    fireEvent.click(screen.getByRole('button', { name: /@Mia/ }));
    expect(onPick).toHaveBeenCalledWith('a photo of @Mia ');
  });
});
