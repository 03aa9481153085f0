/**
 * Berth's notion of "now". Time-based behaviour (token expiry, lifecycle ages) reads this
 * clock so tests can move it; recorded times are never rewritten.
 */
export interface Clock {
  now(): Date;
  offsetSeconds(): number;
  setOffsetSeconds(seconds: number): void;
}

export function createClock(initialOffsetSeconds = 0): Clock {
  let offsetMs = initialOffsetSeconds * 1000;
  return {
    now: () => new Date(Date.now() + offsetMs),
    offsetSeconds: () => offsetMs / 1000,
    setOffsetSeconds: (seconds) => {
      offsetMs = seconds * 1000;
    },
  };
}
