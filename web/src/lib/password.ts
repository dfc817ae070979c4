/** The shortest password the studio accepts (account.MinPasswordChars on the server). */
export const MIN_PASSWORD = 8;

/** Whether p is under the minimum, counted in characters as the server counts them (not UTF-16 units). */
export function passwordTooShort(p: string): boolean {
  return [...p].length < MIN_PASSWORD;
}
