import { readFileSync } from 'node:fs';

/** A TypeScript block of a README, marked `<!-- quick-start: name -->` on the line before it. */
export interface QuickStart {
  readonly name: string;
  readonly code: string;
  /** 1-based line of the fence, for messages. */
  readonly line: number;
}

const MARKED = /<!-- quick-start: ([\w-]+) -->\n```ts\n([\s\S]*?)\n```/g;

export const quickStarts = (readmePath: string): QuickStart[] => {
  const text = readFileSync(readmePath, 'utf8');
  return [...text.matchAll(MARKED)].map((m) => ({
    name: m[1] as string,
    code: m[2] as string,
    line: text.slice(0, m.index).split('\n').length + 1,
  }));
};
