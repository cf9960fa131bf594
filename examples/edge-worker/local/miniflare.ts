import { dirname } from 'node:path';
import { Miniflare } from 'miniflare';
import { COMPATIBILITY_DATE } from './workerd.ts';

export interface LocalWorker {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * The bundled worker in Miniflare, for local development: the same bindings as on workerd. Miniflare
 * lets a worker fetch loopback addresses as it is.
 */
export const startMiniflare = async (options: {
  readonly bundle: string;
  readonly bindings: Record<string, string>;
  readonly compatibilityFlags: readonly string[];
  readonly port?: number;
}): Promise<LocalWorker> => {
  const miniflare = new Miniflare({
    modules: true,
    scriptPath: options.bundle,
    // Module names are paths from here: the bundle's own directory, wherever it was written.
    modulesRoot: dirname(options.bundle),
    compatibilityDate: COMPATIBILITY_DATE,
    compatibilityFlags: [...options.compatibilityFlags],
    bindings: options.bindings,
    host: '127.0.0.1',
    port: options.port ?? 0,
  });
  const url = await miniflare.ready;
  return { url: url.origin, close: () => miniflare.dispose() };
};
