// A kept event's serial: "<ms>-<seq>", the form of a Redis stream id, so the
// in-memory history and the Redis one hand out the same kind of serial.
// Serials are compared as (ms, seq) numbers, never as strings ("9-0" < "10-0").

/** A parsed serial. `seq` may be Infinity for "after every event of that millisecond". */
export interface Serial {
  readonly ms: number;
  readonly seq: number;
}

// Up to 20 digits of sequence: Redis writes "<ms>-18446744073709551615" for "after every event of that millisecond".
const SERIAL = /^(\d{1,15})-(\d{1,20})$/;

/** The serial in a client's or a request's text; null when it is not one. */
export function parseSerial(text: unknown): Serial | null {
  if (typeof text !== 'string') return null;
  const m = SERIAL.exec(text);
  if (!m) return null;
  return { ms: Number(m[1]), seq: Number(m[2]) };
}

export function formatSerial(serial: Serial): string {
  return `${serial.ms}-${serial.seq}`;
}

/** Negative when a is older than b, 0 when equal, positive when newer. */
export function compareSerials(a: Serial, b: Serial): number {
  return a.ms !== b.ms ? a.ms - b.ms : a.seq === b.seq ? 0 : a.seq < b.seq ? -1 : 1;
}

/** The serial following `last` at time `now`: strictly newer even when the clock stands still or steps back. */
export function nextSerial(last: Serial | null, now: number): Serial {
  if (!last || now > last.ms) return { ms: now, seq: 0 };
  return { ms: last.ms, seq: last.seq + 1 };
}
