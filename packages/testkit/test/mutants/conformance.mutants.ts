import { createMemoryData, memoryStorage } from '@td7x/durable-x';
import { contractGroups, describeConformance } from '../../src/index.ts';
import { memoryRawReader } from '../support/memory-raw.ts';
import { mutants } from './mutants.ts';

// Run by ../mutation.test.ts in a vitest of its own (see vitest.mutants.config.ts): the contract
// groups against the untouched memory storage (`reference`), then against each mutant, each on
// data of its own. DX_MUTANTS=name,name narrows the run to some mutants.
const only = process.env.DX_MUTANTS?.split(',').filter(Boolean);

describeConformance(
  'reference',
  async () => {
    const data = createMemoryData();
    return {
      storage: memoryStorage({ data }),
      reopen: async () => memoryStorage({ data }),
      raw: memoryRawReader(data),
      close: async () => {},
    };
  },
  { groups: contractGroups },
);

for (const mutant of mutants) {
  if (only && !only.includes(mutant.name)) continue;
  describeConformance(
    `mutant ${mutant.name}`,
    async () => {
      const data = createMemoryData();
      return {
        storage: mutant.storage(data),
        reopen: async () => mutant.storage(data),
        raw: memoryRawReader(data),
        close: async () => {},
      };
    },
    { groups: contractGroups },
  );
}
