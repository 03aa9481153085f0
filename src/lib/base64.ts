/** Text in the standard alphabet, then padding ('=' is checked for place and count separately). */
const PIECE = /^[A-Za-z0-9+/]*=*$/;
const HAS_LETTERS = /[^=]/;
/** Unused room a result may carry; with more, it is copied into a buffer of its size. */
const SLACK_KEPT = 64 * 1024;

/**
 * Decodes base64 that arrives in pieces (a request body as it streams in) straight into one
 * buffer, so the text never has to be held whole, as one string or one buffer.
 *
 * Only plain base64 is taken: the standard alphabet, then at most two '=' at the very end.
 * push() answers false to anything else (whitespace, URL-safe characters, padding in the
 * middle, escapes), and the caller falls back to decoding the whole text the usual way,
 * starting from consumed(). For the text it takes, the result is exactly Buffer.from(text,
 * 'base64'): whole 4-character groups decode on their own, and the tail is decoded last.
 */
export interface Base64Decoder {
  /** Takes the next piece; false when the text is not plain base64 (the piece is then not taken). */
  push(piece: string): boolean;
  /** The bytes, once the text has ended. */
  finish(): Buffer;
  /** The text taken so far, as it was sent (whole groups are re-encoded: they map one to one). */
  consumed(): string;
}

/**
 * `expectedBytes`: room to reserve for the decoded bytes, e.g. 3/4 of the text still to come in
 * the body; the buffer grows when the text turns out longer.
 */
export function createBase64Decoder(expectedBytes = 0): Base64Decoder {
  let output = Buffer.allocUnsafeSlow(Math.max(0, Math.floor(expectedBytes)));
  let written = 0;
  /** Characters not decoded yet: under four, or a tail holding padding. */
  let pending = '';
  let padded = false;

  const decode = (text: string): void => {
    const room = Math.floor((text.length * 3) / 4);
    if (written + room > output.length) {
      const grown = Buffer.allocUnsafeSlow(Math.max(written + room, output.length * 2));
      output.copy(grown, 0, 0, written);
      output = grown;
    }
    written += output.write(text, written, 'base64');
  };

  return {
    push(piece) {
      if (!piece) return true;
      if (!PIECE.test(piece) || (padded && HAS_LETTERS.test(piece))) return false;
      const text = pending + piece;
      const firstPad = text.indexOf('=');
      if (firstPad >= 0 && text.length - firstPad > 2) return false;
      padded = firstPad >= 0;
      // Whole groups before any padding are decoded now; the rest waits for more text or the end.
      const ready = firstPad >= 0 ? firstPad : text.length;
      const cut = ready - (ready % 4);
      if (cut > 0) decode(text.slice(0, cut));
      pending = text.slice(cut);
      return true;
    },
    finish() {
      if (pending) decode(pending);
      pending = '';
      if (written === output.length) return output;
      // Whoever keeps the bytes (the in-memory blob store) should not keep much room besides.
      return output.length - written > SLACK_KEPT ? Buffer.from(output.subarray(0, written)) : output.subarray(0, written);
    },
    consumed: () => output.toString('base64', 0, written) + pending,
  };
}
