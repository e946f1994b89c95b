/** Time as the API serialises it. */

/** rfc3339 formats a time as metav1.Time does: UTC, whole seconds. */
export function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
