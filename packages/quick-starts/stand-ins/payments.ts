/**
 * The payment provider and the mailer of the Postgres quick start. Each charge is noted (with the
 * idempotency key it came with); a test can hold the next charge in flight until it releases it,
 * and make the next receipt fail (the SMTP server is down), without a timer.
 */
export interface Order {
  amount: number;
  card: string;
  email: string;
}

export const charges: string[] = [];
let onCharge: (() => void) | undefined;
let gate: Promise<void> | undefined;
let release: (() => void) | undefined;
let receiptFails = false;

export const payments = {
  /** The next charge waits for `release()`; resolves once it has started. */
  holdNextCharge: (): Promise<void> => {
    gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    return new Promise<void>((resolve) => {
      onCharge = resolve;
    });
  },
  release: () => {
    release?.();
    gate = undefined;
  },
  failNextReceipt: () => {
    receiptFails = true;
  },
};

export const psp = {
  charge: async (amount: number, card: string, options: { idempotencyKey: string }) => {
    charges.push(`${amount} ${card} ${options.idempotencyKey.slice(0, 8)}`);
    onCharge?.();
    onCharge = undefined;
    await gate;
    return { id: `ch_${charges.length}` };
  },
};

export const mailer = {
  receipt: async (_email: string, chargeId: string) => {
    if (receiptFails) {
      receiptFails = false;
      throw new Error('smtp server unavailable');
    }
    return { id: `rc_${chargeId}` };
  },
};
