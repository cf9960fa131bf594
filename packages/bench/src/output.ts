/** What every step of every bench workflow returns, for every library: a small JSON object. */
export const stepOutput = (i: number) => ({ i, ok: true });
