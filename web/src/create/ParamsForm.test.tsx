import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/react';
import { ParamsForm, defaultsOf, invalidParam } from './ParamsForm';
import type { Param } from '../lib/api';

const params: Param[] = [
  { name: 'image_size', label: 'Size', type: 'enum', options: ['square', 'landscape_4_3'], default: 'landscape_4_3' },
  { name: 'num_images', label: 'Images', type: 'integer', min: 1, max: 4, default: 1 },
  { name: 'seed', label: 'Seed', type: 'seed' },
  { name: 'enable_safety_checker', label: 'Safety checker', type: 'boolean', default: true },
];

describe('ParamsForm', () => {
  it('shows defaults', () => {
    const values = defaultsOf(params);
    expect(values).toEqual({ image_size: 'landscape_4_3', num_images: 1, enable_safety_checker: true });
    render(<ParamsForm params={params} values={values} onChange={() => {}} />);
    expect((screen.getByLabelText(/Size/) as HTMLSelectElement).value).toBe('landscape_4_3');
    expect((screen.getByLabelText(/Images/) as HTMLInputElement).value).toBe('1');
    expect((screen.getByLabelText('Safety checker') as HTMLInputElement).checked).toBe(true);
    expect((screen.getByLabelText('Seed') as HTMLInputElement).placeholder).toBe('random');
  });

  it('sets a random seed and clears it', () => {
    const onChange = vi.fn();
    render(<ParamsForm params={params} values={{}} onChange={onChange} />);
    fireEvent.click(screen.getByRole('button', { name: 'Random seed' }));
    const seed = onChange.mock.calls[0][0].seed;
    expect(Number.isInteger(seed)).toBe(true);
    fireEvent.click(screen.getByRole('button', { name: 'Clear seed' }));
    expect(onChange.mock.calls[1][0]).not.toHaveProperty('seed');
  });

  it('renders every type with its default shown', () => {
    const all: Param[] = [
      ...params,
      { name: 'guidance_scale', label: 'Guidance', type: 'number', min: 1, max: 20, step: 0.5, default: 3.5 },
      { name: 'negative_prompt', label: 'Negative prompt', type: 'string' },
    ];
    render(<ParamsForm params={all} values={defaultsOf(all)} onChange={() => {}} />);
    const guidance = screen.getByLabelText(/Guidance/) as HTMLInputElement;
    expect(guidance.value).toBe('3.5');
    expect(guidance.step).toBe('0.5');
    expect(screen.getByText('(default 3.5)')).toBeTruthy();
    expect(screen.getByText('(default landscape_4_3)')).toBeTruthy();
    expect((screen.getByLabelText(/Negative prompt/) as HTMLInputElement).value).toBe('');
  });

  it('leaves out a cleared value', () => {
    const onChange = vi.fn();
    render(<ParamsForm params={params} values={defaultsOf(params)} onChange={onChange} />);
    fireEvent.change(screen.getByLabelText(/Images/), { target: { value: '' } });
    expect(onChange.mock.calls[0][0]).toEqual({ image_size: 'landscape_4_3', enable_safety_checker: true });
  });

  it('checks ranges', () => {
    expect(invalidParam(params, { num_images: 2 })).toBeNull();
    expect(invalidParam(params, { num_images: 5 })).toBe('Images must be at most 4.');
    expect(invalidParam(params, { num_images: 0 })).toBe('Images must be at least 1.');
    expect(invalidParam(params, { num_images: 1.5 })).toBe('Images must be a whole number.');
    expect(invalidParam(params, { seed: -1 })).toBe('Seed must be 0 or more.');
  });
});
