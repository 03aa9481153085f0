import { createBase64Decoder, type Base64Decoder } from '../lib/base64.js';

// A JSON request body read as it streams in, with its blob members (base64 on the wire, such as
// UploadLayerPart's layerPartBlob) decoded on the way: a 10 MiB part is 13.4 MiB of text, which
// JSON.parse would hold as the body, then as a string, then as its copy, before the decode. Here
// the blob's text goes chunk by chunk into its bytes and only the rest of the body is kept, with
// "" where the blob was, for JSON.parse and validation to see a string as usual.
//
// The answer is the one JSON.parse of the whole body gives: only plain base64 is decoded on the
// side (anything else is put back as text, for the usual path), and the lexing of strings is
// exact, so swapping a string's contents can neither make an invalid body valid nor the reverse.

/** A body read: its JSON value and the blob members decoded beside it, or not JSON at all. */
export type ParsedBody = { json: true; value: unknown; blobs: Record<string, Buffer> } | { json: false };

export interface JsonBodyReader {
  push(chunk: Buffer): void;
  end(): ParsedBody;
  /** Bytes pushed so far. */
  received(): number;
  /** The top-level string members read so far (what a log line can say of a body cut short). */
  partial(): Record<string, string>;
}

/** Blob text is decoded in pieces of this many characters (under V8's large-object size). */
const PIECE_CHARS = 64 * 1024;
/** Longer keys or string values are not collected: no member name or log field is this long. */
const COLLECT_MAX = 1024;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const isWhitespace = (byte: number) => byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;

/** Where the reader is in the top-level object; nested values are only counted through. */
type Shape = 'start' | 'key' | 'colon' | 'value' | 'after-value' | 'end' | 'off';

/**
 * `expectedBytes` (the Content-Length, when known) sizes a blob's buffer: its bytes are at most
 * 3/4 of the body still to come.
 */
export function createJsonBodyReader(blobMembers: ReadonlySet<string>, expectedBytes = 0): JsonBodyReader {
  const kept: Buffer[] = [];
  const blobs: Record<string, Buffer> = {};
  const strings: Record<string, string> = {};
  let total = 0;
  let shape: Shape = 'start';
  let depth = 0;
  let inString = false;
  let escaped = false;
  /** The raw bytes of the top-level key or string value being read, when short enough to keep. */
  let collecting: number[] | undefined;
  let collectingKey = false;
  let key: string | undefined;
  let blob: { member: string; decoder: Base64Decoder } | undefined;

  const parseString = (raw: number[]): string | undefined => {
    try {
      const value: unknown = JSON.parse(`"${Buffer.from(raw).toString('utf8')}"`);
      return typeof value === 'string' ? value : undefined;
    } catch {
      return undefined;
    }
  };

  /** A string just closed: a key names the member whose value comes next. */
  function stringClosed(): void {
    const text = collecting && parseString(collecting);
    collecting = undefined;
    if (depth !== 1) return;
    if (collectingKey) {
      key = text;
      // A repeated name: JSON.parse keeps the last, whatever it is.
      if (key !== undefined) delete blobs[key];
      shape = 'colon';
    } else {
      if (key !== undefined && text !== undefined) strings[key] = text;
      shape = 'after-value';
    }
  }

  /** One byte outside blob text; true when a blob's text starts after it. */
  function step(byte: number): boolean {
    if (inString) {
      if (escaped) escaped = false;
      else if (byte === BACKSLASH) escaped = true;
      else if (byte === QUOTE) {
        inString = false;
        stringClosed();
        return false;
      }
      if (collecting) {
        if (collecting.length < COLLECT_MAX) collecting.push(byte);
        else collecting = undefined;
      }
      return false;
    }
    if (isWhitespace(byte)) return false;
    if (byte === QUOTE) {
      if (depth === 1 && shape === 'value' && key !== undefined && blobMembers.has(key)) {
        blob = { member: key, decoder: createBase64Decoder(((expectedBytes - total) * 3) / 4) };
        return true;
      }
      inString = true;
      collectingKey = depth === 1 && shape === 'key';
      collecting = depth === 1 && (shape === 'key' || shape === 'value') ? [] : undefined;
      if (depth === 1 && shape === 'value') shape = 'after-value';
      return false;
    }
    if (byte === 0x7b || byte === 0x5b) {
      if (depth === 0 && (shape !== 'start' || byte !== 0x7b)) shape = 'off';
      else if (depth === 0) shape = 'key';
      else if (depth === 1 && shape === 'value') shape = 'after-value';
      depth++;
    } else if (byte === 0x7d || byte === 0x5d) {
      depth--;
      if (depth === 0) shape = 'end';
    } else if (depth === 1 && byte === 0x2c) {
      shape = shape === 'after-value' ? 'key' : 'off';
    } else if (depth === 1 && byte === 0x3a) {
      shape = shape === 'colon' ? 'value' : 'off';
    } else if (depth === 1 && shape === 'value') {
      shape = 'after-value'; // a number or literal
    } else if (depth <= 0) {
      shape = 'off';
    }
    return false;
  }

  const keep = (chunk: Buffer, from: number, to: number) => {
    // Copied: a chunk of the socket's must not be kept alive by a few bytes of it.
    if (to > from) kept.push(Buffer.from(chunk.subarray(from, to)));
  };

  /** Feeds blob text from `at`: where the bytes after it start (the closing quote, or the chunk's end), and whether it fell back to plain text. */
  function feedBlob(chunk: Buffer, at: number): { next: number; fellBack: boolean } {
    const current = blob!;
    const close = chunk.indexOf(QUOTE, at);
    const end = close < 0 ? chunk.length : close;
    for (let from = at; from < end; from += PIECE_CHARS) {
      if (!current.decoder.push(chunk.toString('latin1', from, Math.min(from + PIECE_CHARS, end)))) {
        // Not plain base64: the text so far goes back in the body, and the rest is read as any string.
        kept.push(Buffer.from(current.decoder.consumed(), 'latin1'));
        blob = undefined;
        inString = true;
        escaped = false;
        collecting = undefined;
        shape = 'after-value';
        return { next: from, fellBack: true };
      }
    }
    if (close >= 0) {
      blobs[current.member] = current.decoder.finish();
      blob = undefined;
      shape = 'after-value';
    }
    return { next: end, fellBack: false };
  }

  return {
    push(chunk) {
      let at = 0;
      let keepFrom = 0;
      while (at < chunk.length) {
        if (blob) {
          const { next, fellBack } = feedBlob(chunk, at);
          at = next;
          keepFrom = next; // the blob's text is not kept (unless it fell back: then from here on)
          if (!fellBack && at < chunk.length) at++; // the closing quote is kept
          continue;
        }
        if (shape === 'off') {
          at = chunk.length;
          break;
        }
        const startsBlob = step(chunk[at]);
        at++;
        if (startsBlob) {
          keep(chunk, keepFrom, at);
          keepFrom = at;
        }
      }
      if (!blob) keep(chunk, keepFrom, chunk.length);
      total += chunk.length;
    },
    end() {
      // A blob whose text never closed: the body is not JSON.
      if (blob) return { json: false };
      if (total === 0) return { json: true, value: {}, blobs: {} };
      try {
        return { json: true, value: JSON.parse(Buffer.concat(kept).toString('utf8')) as unknown, blobs: { ...blobs } };
      } catch {
        return { json: false };
      }
    },
    received: () => total,
    partial: () => ({ ...strings }),
  };
}

/** A whole body (the in-process mode's, or a test's), parsed as the streaming reader would. */
export function parseJsonBody(body: Buffer, blobMembers?: ReadonlySet<string>): ParsedBody {
  if (!blobMembers?.size) {
    if (body.length === 0) return { json: true, value: {}, blobs: {} };
    try {
      return { json: true, value: JSON.parse(body.toString('utf8')) as unknown, blobs: {} };
    } catch {
      return { json: false };
    }
  }
  const reader = createJsonBodyReader(blobMembers, body.length);
  reader.push(body);
  return reader.end();
}
