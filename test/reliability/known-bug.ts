/** Set to run the tests that show reported, still unfixed bugs. */
export const SHOW_KNOWN_BUGS = process.env.BROKER_SHOW_KNOWN_BUG === '1';

/**
 * A test that fails until a reported bug is fixed. It runs only with
 * `BROKER_SHOW_KNOWN_BUG=1`; otherwise jest lists it as a todo, so the
 * committed suite stays green without hiding that the bug exists.
 * RELIABILITY.md names each one; turn it back into `it` when the fix lands.
 */
export const knownBug = (
  title: string,
  fn: () => Promise<void>,
  timeoutMs?: number,
): void => {
  if (SHOW_KNOWN_BUGS) {
    it(title, fn, timeoutMs);
  } else {
    it.todo(`${title} [known bug: run with BROKER_SHOW_KNOWN_BUG=1]`);
  }
};
