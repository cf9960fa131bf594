import type { S3Client } from '@aws-sdk/client-s3';

/**
 * Loses the answers of chosen PUTs at the HTTP layer: the request reaches the server and lands,
 * then its answer is replaced by a 503, which the SDK retries (a timeout or a reset connection
 * looks the same to the adapter). `meanwhile` runs after the PUT landed and before the SDK's
 * retry: another process's write that lands in between.
 */
export const answerLoser = (client: S3Client) => {
  interface Plan {
    readonly matches: (key: string) => boolean;
    remaining: number;
    readonly meanwhile: (() => Promise<unknown>) | undefined;
  }
  let plan: Plan | undefined;
  let lost = 0;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const key = (args.input as { Key?: string }).Key ?? '';
      const current = plan;
      if (!current || context.commandName !== 'PutObjectCommand' || !current.matches(key)) return next(args);
      if (--current.remaining === 0) plan = undefined;
      // The request reaches the server whatever it answers (a retry's 412 is lost as well).
      await next(args).catch(() => undefined);
      await current.meanwhile?.();
      lost++;
      throw Object.assign(new Error('answer lost'), {
        name: 'ServiceUnavailable',
        $metadata: { httpStatusCode: 503 },
      });
    },
    { step: 'deserialize', name: 'loseAnswers', priority: 'high' },
  );
  return {
    /**
     * Loses the answer of the next `times` PUTs of a run document (`/runs/` in the key): the first
     * attempt and `times - 1` of the SDK's retries (3 = every attempt of the SDK's default
     * retry strategy: the call rejects). `meanwhile` runs once, after the first landed.
     */
    loseNextDocumentPut(meanwhile?: () => Promise<unknown>, times = 1) {
      let first = true;
      plan = {
        matches: (key) => key.includes('/runs/'),
        remaining: times,
        meanwhile: async () => {
          if (first) {
            first = false;
            await meanwhile?.();
          }
        },
      };
    },
    /** Answers lost so far. */
    lost: () => lost,
  };
};

/**
 * Runs `action` once, just before the `nth` next request of `command` (an S3 command name such
 * as `PutObjectCommand`) leaves the client: another process acting between two requests of one
 * operation (a purge's read and its tombstone, its tombstone and its DELETE).
 */
export const beforeNext = (
  client: S3Client,
  command: string,
  action: () => Promise<unknown>,
  nth = 1,
): void => {
  let seen = 0;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === command && ++seen === nth) await action();
      return next(args);
    },
    { step: 'finalizeRequest', name: `before${command}${Math.random()}` },
  );
};

/** Resolves once the next request of `command` through `client` has been answered. */
export const nextAnswered = (client: S3Client, command: string): Promise<void> =>
  new Promise((resolve) => {
    let armed = true;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args).finally(() => {
          if (armed && context.commandName === command) {
            armed = false;
            resolve();
          }
        });
        return result;
      },
      { step: 'finalizeRequest', name: `after${command}${Math.random()}` },
    );
  });
