/**
 * Hostile text (newlines, NUL, terminal escape codes, megabyte strings) is
 * stored as inert text: control characters become visible `\uXXXX`
 * escapes, and the result is cut to `max` characters. Nothing is interpreted.
 */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

export function sanitizeAuditText(value: string | null | undefined, max = 200): string | null {
  if (value === null || value === undefined) return null;
  const cut = value.length > max * 2 ? value.slice(0, max * 2) : value;
  const escaped = cut.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  return escaped.length > max ? `${escaped.slice(0, max - 1)}…` : escaped;
}
