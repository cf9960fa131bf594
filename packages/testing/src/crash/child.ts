/**
 * A worker child from source (no build needed), for tests:
 *   node --conditions=@td7x/source --import tsx child.ts
 * It imports the storage module named by DX_CRASH_STORAGE_MODULE and runs one attempt (worker.ts).
 */
import { pathToFileURL } from 'node:url';
import { ENV } from './protocol.ts';
import type { StorageModule } from './storage-module.ts';
import { runWorker } from './worker.ts';

const path = process.env[ENV.storageModule];
if (!path) throw new Error(`crash child: ${ENV.storageModule} is not set`);
const module = (await import(pathToFileURL(path).href)) as { default: StorageModule };
await runWorker(module.default);
