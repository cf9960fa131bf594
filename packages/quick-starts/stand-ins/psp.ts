import { createInterface } from 'node:readline';

/**
 * The payment provider of the HTTP quick start. It prints what it does; a charge of the card
 * `slow` waits until the test writes `release` on the process's stdin (a request kept in flight
 * for as long as the test needs, without a timer).
 */
let charges = 0;
const releases: (() => void)[] = [];
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'release') for (const release of releases.splice(0)) release();
});

export const psp = {
  charge: async (order: { amount: number; card: string }, options: { idempotencyKey: string }) => {
    console.log(`charging ${order.card} ${options.idempotencyKey.slice(0, 8)}`);
    if (order.card === 'slow') await new Promise<void>((resolve) => releases.push(resolve));
    if (order.card === 'declined') return { status: 'declined' as const };
    return { status: 'succeeded' as const, id: `ch_${++charges}` };
  },
};
