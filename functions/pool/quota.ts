import type { QuotaSeen } from './model';

/**
 * When the upstream's exhausted quota comes back, or undefined when it is
 * not exhausted. The upstream counts per day and per month; a figure seen
 * in an earlier day (or month) than `now` no longer holds.
 *
 * @param timeZone IANA zone the upstream's days and months run in
 */
export const quotaResetAt = (
  quota: QuotaSeen | undefined,
  now: number,
  timeZone: string,
): number | undefined => {
  if (!quota) return undefined;
  const seen = calendarOf(quota.seenAt, timeZone);
  const today = calendarOf(now, timeZone);
  const sameMonth = seen.year === today.year && seen.month === today.month;
  if (quota.availableMonthly === 0 && sameMonth) {
    return startOf(today.year, today.month + 1, 1, timeZone);
  }
  if (quota.availableDaily === 0 && sameMonth && seen.day === today.day) {
    return startOf(today.year, today.month, today.day + 1, timeZone);
  }
  return undefined;
};

interface Calendar {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

const formatter = (timeZone: string): Intl.DateTimeFormat => {
  let cached = formatters.get(timeZone);
  if (!cached) {
    cached = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, cached);
  }
  return cached;
};

const partsOf = (ms: number, timeZone: string): Record<string, number> => {
  const parts: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(new Date(ms))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  return parts;
};

const calendarOf = (ms: number, timeZone: string): Calendar => {
  const parts = partsOf(ms, timeZone);
  return {
    year: parts.year ?? 0,
    month: parts.month ?? 0,
    day: parts.day ?? 0,
  };
};

/** Epoch ms of local midnight on the given date (months and days may overflow). */
const startOf = (
  year: number,
  month: number,
  day: number,
  timeZone: string,
): number => {
  const guess = Date.UTC(year, month - 1, day);
  // The zone's offset at that instant: what its clock shows minus UTC.
  const shown = partsOf(guess, timeZone);
  const shownMs = Date.UTC(
    shown.year ?? 0,
    (shown.month ?? 1) - 1,
    shown.day ?? 1,
    shown.hour ?? 0,
    shown.minute ?? 0,
    shown.second ?? 0,
  );
  return guess - (shownMs - guess);
};

/** Throws RangeError for a zone `Intl` does not know. */
export const assertTimeZone = (timeZone: string): void => {
  formatter(timeZone);
};
