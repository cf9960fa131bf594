// The Windmill storage module of the crash harness: each child process is a job whose environment
// (BASE_INTERNAL_URL, WM_TOKEN, WM_WORKSPACE) points at the stand-in; it uses the ready value.
import { windmillStorage } from '../../src/index.ts';

export default async () => ({ storage: windmillStorage, close: async () => {} });
