import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/react';
import { AuthScreen } from './AuthScreen';
import { ParamsForm } from '../create/ParamsForm';
import { ssoErrorMessage } from '../lib/sso';
import type { Param } from '../lib/api';

describe('single sign-on on the sign-in screen', () => {
  it('shows the button with its label and the callback error as a sentence', () => {
    render(<AuthScreen onAuthenticated={() => {}} oidc={{ enabled: true, label: 'Sign in with Authentik', passwordLogin: true }} ssoError="account_exists" />);
    const button = screen.getByRole('link', { name: 'Sign in with Authentik' });
    expect(button.getAttribute('href')).toBe('/api/auth/oidc/start');
    expect(screen.getByTestId('sso-error').textContent).toContain('Sign in with your password, then link single sign-on in Account');
    expect(screen.getByLabelText('Password')).toBeTruthy();
  });

  it('hides the password form when password sign-in is off, behind "Administrator sign-in"', () => {
    render(<AuthScreen onAuthenticated={() => {}} invite="inv123" oidc={{ enabled: true, label: 'SSO', passwordLogin: false }} />);
    expect(screen.getByRole('link', { name: 'SSO' }).getAttribute('href')).toBe('/api/auth/oidc/start?invite=inv123');
    expect(screen.queryByLabelText('Password')).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Administrator sign-in' }));
    expect(screen.getByLabelText('Password')).toBeTruthy();
  });

  it('has a sentence for every code, and sso_failed for an unknown one', () => {
    expect(ssoErrorMessage('state_invalid')).toMatch(/expired/);
    expect(ssoErrorMessage('nonsense')).toBe(ssoErrorMessage('sso_failed'));
  });
});

describe('locked params', () => {
  const params: Param[] = [
    { name: 'enable_safety_checker', label: 'Safety checker', type: 'boolean', default: true },
    { name: 'num_images', label: 'Images', type: 'integer', min: 1, max: 4, default: 1 },
  ];
  it('shows a forced param with its forced value, disabled, naming the policy', () => {
    render(
      <ParamsForm params={params} values={{ enable_safety_checker: false }} onChange={() => {}} locked={{ policy: 'Kids', params: { enable_safety_checker: true } }} />,
    );
    const box = screen.getByLabelText('Safety checker') as HTMLInputElement;
    expect(box.checked).toBe(true);
    expect(box.matches(':disabled')).toBe(true);
    expect(screen.getByTestId('locked-enable_safety_checker').getAttribute('title')).toBe('Set by the policy “Kids”');
    expect((screen.getByLabelText(/Images/) as HTMLInputElement).disabled).toBe(false);
  });
});
