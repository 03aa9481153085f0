import { createBase64Decoder } from '../../src/lib/base64.js';
import { seededRandom, type Random } from '../helpers/random.js';

// The streaming decoder must give exactly what Buffer.from(text, 'base64') gives for the text it
// takes, however the text is cut into pieces, and hand back the text as sent when it stops.

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const ODD = [' ', '\n', '-', '_', '=', '\\', '"', 'é', '\u0000'];

const plainText = (random: Random): string => {
  const body = Array.from({ length: random.int(40) }, () => random.pick([...ALPHABET])).join('');
  return body + '='.repeat(random.int(3));
};

/** `text` with a few characters from outside plain base64 put in at random places. */
const oddText = (random: Random): string => {
  const characters = [...plainText(random)];
  for (let count = 1 + random.int(3); count > 0; count--) characters.splice(random.int(characters.length + 1), 0, random.pick(ODD));
  return characters.join('');
};

/** Cuts `text` at random places, empty pieces included. */
const piecesOf = (random: Random, text: string): string[] => {
  const pieces: string[] = [];
  for (let at = 0; at < text.length; ) {
    const length = random.int(7);
    pieces.push(text.slice(at, at + length));
    at += length;
  }
  return pieces;
};

test('plain base64 cut anywhere decodes as Buffer.from does, with or without room reserved', () => {
  const wrong: Array<{ seed: number; text: string }> = [];
  for (let seed = 1; seed <= 3000; seed++) {
    const random = seededRandom(seed);
    const text = plainText(random);
    const decoder = createBase64Decoder(random.pick([0, (text.length * 3) / 4, 2]));
    const taken = piecesOf(random, text).every((piece) => decoder.push(piece));
    if (!taken || !decoder.finish().equals(Buffer.from(text, 'base64'))) wrong.push({ seed, text });
  }
  expect(wrong).toEqual([]);
});

test('other text is refused at the piece that is not plain base64, and what was taken comes back as sent', () => {
  let refused = 0;
  for (let seed = 1; seed <= 3000; seed++) {
    const random = seededRandom(seed);
    const text = oddText(random);
    const decoder = createBase64Decoder();
    const pieces = piecesOf(random, text);
    const stop = pieces.findIndex((piece) => !decoder.push(piece));
    if (stop < 0) {
      // Taken whole (a '=' or two that ended up last): then it must decode the usual way.
      expect({ seed, bytes: decoder.finish().toString('hex') }).toEqual({ seed, bytes: Buffer.from(text, 'base64').toString('hex') });
      continue;
    }
    refused++;
    expect({ seed, text: decoder.consumed() + pieces.slice(stop).join('') }).toEqual({ seed, text });
  }
  expect(refused).toBeGreaterThan(2500);
});

test('a long text in large pieces fills one buffer of its size', () => {
  const bytes = Buffer.from(Array.from({ length: 300_001 }, (_, index) => (index * 7919) % 256));
  const text = bytes.toString('base64');
  const decoder = createBase64Decoder((text.length * 3) / 4);
  for (let at = 0; at < text.length; at += 65_536) expect(decoder.push(text.slice(at, at + 65_536))).toBe(true);
  const decoded = decoder.finish();
  expect(decoded.equals(bytes)).toBe(true);
  expect(decoded.buffer.byteLength - decoded.length).toBeLessThan(4);
});
