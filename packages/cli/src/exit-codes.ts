/**
 * What `durable-x` exits with (documented in the package README, tested by test/usage.test.ts and the commands' suites).
 * Scripts branch on these, so they never change meaning.
 */
export const EXIT = {
  /** Done as asked. */
  ok: 0,
  /** The storage failed or something unexpected happened; nothing may have been done. */
  failure: 1,
  /** Bad usage: an unknown command or option, a malformed URL, duration, JSON or run id. Nothing was done. */
  usage: 2,
  /** A run named on the command line does not exist. */
  notFound: 3,
  /**
   * Done, but not as hoped: `wait` saw the run end failed, compensated or cancelled; `signal` was
   * not accepted (an earlier signal of that name won); `cancel` found the run already completed;
   * `recover` or `import` left some runs out.
   */
  refused: 4,
  /** `wait --timeout` ran out before the run ended. */
  timeout: 5,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
