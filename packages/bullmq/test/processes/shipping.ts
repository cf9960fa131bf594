import type { Redis } from 'ioredis';
import type { DurableJob } from '../../src/index.ts';

/**
 * The workflow of the killed-worker test, shared by the worker that dies (a child process) and
 * the one that takes over (the test). Each step notes that it ran in a Redis list, so the test
 * counts runs across processes.
 */
export interface ShippingData {
  readonly order: string;
}

export const LEASE_MS = 4_000;

export const shipping =
  (redis: Redis, logKey: string, onShip: () => Promise<void>) =>
  async ({ step, beforeRisky, afterSafe }: DurableJob<ShippingData>) => {
    const reserved = await step('reserve')()(async () => {
      await redis.rpush(logKey, 'reserve');
      return 'r1';
    });
    await beforeRisky('cancel_shipment')({ reserved });
    const shipped = await step('ship')()(async () => {
      await redis.rpush(logKey, 'ship');
      await onShip();
      return 's1';
    });
    await afterSafe('cancel_shipment');
    return { reserved, shipped };
  };

export const shippingCleanups = (redis: Redis, logKey: string) => ({
  cancel_shipment: async () => void (await redis.rpush(logKey, 'cancel_shipment')),
});
