import { createMemoryData, memoryStorage } from '@td7x/durable-x';
import { describeConformance } from '../src/index.ts';
import { memoryRawReader } from './support/memory-raw.ts';

// The reference storage passes the suite that every adapter runs.
describeConformance('memory', async () => {
  const data = createMemoryData();
  return {
    storage: memoryStorage({ data }),
    reopen: async () => memoryStorage({ data }),
    raw: memoryRawReader(data),
    close: async () => {},
  };
});
