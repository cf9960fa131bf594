/**
 * The campaign's child process, bundled into one file (bundle.ts): a worker attempt of the
 * reference workflow (the crash harness of @td7x/testing), or, with DX_TORTURE_ROLE=housekeeper,
 * the host, housekeeping and operator beside it (housekeeper.ts). Both open the backend named by
 * the environment (backends/open.ts).
 */
import { runWorker } from '@td7x/testing/crash';
import { openBackend } from './backends/open.ts';
import { HOUSEKEEPER_ENV, runHousekeeper } from './housekeeper.ts';

if (process.env[HOUSEKEEPER_ENV.role] === 'housekeeper') await runHousekeeper(openBackend);
else await runWorker(openBackend);
