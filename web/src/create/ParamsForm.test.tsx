import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/react';
import { ParamsForm, defaultsOf } from './ParamsForm';
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
});
