/**
 * Output as the AWS JSON protocol writes it: timestamps as epoch seconds (fractional),
 * absent members left out. Plain loops: this runs on every response.
 */
export function toWire(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Date) return value.getTime() / 1000;
  if (Array.isArray(value)) {
    const out = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) out[i] = toWire(value[i]);
    return out;
  }
  const out: Record<string, unknown> = {};
  const record = value as Record<string, unknown>;
  for (const key in record) {
    const item = record[key];
    if (item !== undefined) out[key] = toWire(item);
  }
  return out;
}
