import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { type CrowdResult, type CrowdTask, READY, RESULT } from './protocol.ts';

const CHILD = fileURLToPath(new URL('./child.ts', import.meta.url));
// The repository root: `--import tsx` resolves from the child's working directory.
const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/** N processes, each with its own connection per task, that start their tasks together. */
export interface Crowd {
  /**
   * Sends the first `size` children their task at once (they are already started and waiting,
   * so they all reach the file within a few milliseconds) and resolves their results, in order.
   */
  run(size: number, task: (child: number) => CrowdTask): Promise<CrowdResult[]>;
  close(): void;
}

interface Member {
  readonly process: ChildProcess;
  readonly ready: Promise<void>;
  next(): Promise<CrowdResult>;
}

const startMember = (): Member => {
  const child = spawn(process.execPath, ['--conditions=@td7x/source', '--import', 'tsx', CHILD], {
    cwd: REPO_ROOT,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const waiting: Array<(result: CrowdResult) => void> = [];
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  let exited: Error | undefined;
  const failAll = (error: Error) => {
    exited = error;
    markReady();
    for (const resolve of waiting.splice(0)) {
      resolve({ claims: 0, steps: 0, finishes: 0, failures: [error.message], latencies: [] });
    }
  };
  child.on('exit', (code, signal) => failAll(new Error(`crowd child exited (${code ?? signal})`)));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (line === READY) markReady();
    else if (line.startsWith(RESULT)) waiting.shift()?.(JSON.parse(line.slice(RESULT.length)));
  });
  return {
    process: child,
    ready,
    next: () =>
      new Promise((resolve, reject) => {
        if (exited) reject(exited);
        else waiting.push(resolve);
      }),
  };
};

export const startCrowd = async (size: number): Promise<Crowd> => {
  const members = Array.from({ length: size }, startMember);
  await Promise.all(members.map((m) => m.ready));
  return {
    async run(count, task) {
      if (count > size) throw new RangeError(`the crowd has ${size} processes, not ${count}`);
      const busy = members.slice(0, count);
      const results = busy.map((m) => m.next());
      // Tasks written back to back: the children were idle, so they start within a few ms.
      busy.forEach((m, i) => m.process.stdin!.write(`${JSON.stringify(task(i))}\n`));
      return Promise.all(results);
    },
    close() {
      for (const m of members) m.process.stdin!.end();
    },
  };
};
