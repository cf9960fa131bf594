/**
 * The warehouse and the carrier of the BullMQ quick start. They print what they do; the first
 * shipment fails (the carrier's API is down), so the job is retried by BullMQ.
 */
let carrierDown = true;

export const warehouse = {
  reserve: async (orderId: string) => {
    console.log(`reserve ${orderId}`);
    return { orderId, shelf: 'B7' };
  },
};

export const carrier = {
  ship: async (reservation: { orderId: string; shelf: string }, idempotencyKey: string) => {
    console.log(`ship ${reservation.orderId}`);
    if (carrierDown) {
      carrierDown = false;
      throw new Error('carrier API unavailable');
    }
    return { tracking: `TRK-${reservation.orderId}`, key: idempotencyKey.length };
  },
  cancel: async (orderId: string) => {
    console.log(`cancel ${orderId}`);
  },
};
