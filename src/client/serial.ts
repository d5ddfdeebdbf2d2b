// Serials as Herald sends them: "<ms>-<seq>", a Redis stream id or the same
// form kept in memory. They are ordered by their two numbers, never as text
// ("9-0" comes before "10-0").

export type Serial = string;

const SERIAL = /^(\d{1,16})-(\d{1,16})$/;

export function isSerial(value: unknown): value is Serial {
  return typeof value === 'string' && SERIAL.test(value);
}

/** Negative when `a` comes first, positive when `b` does, zero when equal. */
export function compareSerials(a: Serial, b: Serial): number {
  const [, aMs, aSeq] = SERIAL.exec(a) ?? [];
  const [, bMs, bSeq] = SERIAL.exec(b) ?? [];
  return Number(aMs) - Number(bMs) || Number(aSeq) - Number(bSeq);
}

/** The later of two serials; the known one when the other is absent. */
export function laterSerial(known: Serial | null, received: Serial): Serial {
  return known === null || compareSerials(received, known) > 0 ? received : known;
}
