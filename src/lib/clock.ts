/**
 * The furthest the clock may be moved (--clock-offset, POST /_berth/clock): 100 years either way. Far beyond any expiry or
 * lifecycle age worth testing, and well inside what a Date holds (a larger offset made "now"
 * an Invalid Date, so the answer and every later timed action failed with a 500).
 */
export const MAX_CLOCK_OFFSET_SECONDS = 100 * 365.25 * 24 * 60 * 60;

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
