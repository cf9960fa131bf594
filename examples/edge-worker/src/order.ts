import {
  afterSafe,
  beforeRisky,
  type CleanupRegistry,
  complete,
  type DurableEvent,
  durable,
  load,
  type Storage,
} from '@td7x/durable-x';

/** The payments API the workflow calls: `POST <url>/<action>` with the order id, answering an id. */
export type Payments = (action: 'reserve' | 'charge' | 'refund', orderId: string) => Promise<{ id: string }>;

export const paymentsAt =
  (url: string): Payments =>
  async (action, orderId) => {
    const response = await fetch(`${url}/${action}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ orderId }),
    });
    if (!response.ok) throw new Error(`payments ${action}: HTTP ${response.status}`);
    return (await response.json()) as { id: string };
  };

/**
 * One order, as a durable-x run named by the order id: reserve the stock (memoized), then charge
 * the card with a refund registered first. A request that dies anywhere in between is resumed by
 * the next request for the same order: the refund runs if the charge may have happened, the
 * reservation comes back memoized, and the charge runs again.
 */
export const placeOrder = async (
  storage: Storage,
  payments: Payments,
  orderId: string,
  options: { readonly leaseMs: number; readonly onEvent: (event: DurableEvent) => void },
) => {
  const cleanups: CleanupRegistry = {
    refund: async (params) => {
      await payments('refund', params.orderId as string);
    },
  };
  const cp = await load(storage, options)(cleanups)(orderId);
  const step = durable(storage)(cp);

  const reservation = await step('reserve')({ orderId })(() => payments('reserve', orderId));
  await beforeRisky(storage)(cp)('refund')({ orderId });
  const charge = await step('charge')({ orderId })(() => payments('charge', orderId));
  await afterSafe(storage)(cp)('refund');

  await complete(storage)(cp);
  return { orderId, reservation: reservation.id, charge: charge.id };
};
