// What any client could send, shared by the fuzz tests: the same inputs
// reach the parsers directly and the server over the wire.
import fc from 'fast-check';

/** JSON values nested a little, with keys and strings of any code point. */
export const anyJson = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.string({ unit: 'binary' }),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string({ unit: 'binary' }), tie('value'), { maxKeys: 4 }),
  ),
})).value;

/**
 * Text far past a name limit (164 characters for a channel): ASCII, any code
 * point, or one two-, three- or four-byte character repeated, since a limit
 * counted in characters and one counted in bytes disagree there.
 */
export const longText = (minLength: number, maxLength: number) =>
  fc.oneof(
    fc.string({ minLength, maxLength }),
    fc.constantFrom('é', '鍵', '🎉', 'x').chain((char) => fc.integer({ min: minLength, max: maxLength }).map((n) => char.repeat(n))),
    fc.string({ unit: 'binary', minLength, maxLength }),
  );
