/// <reference types="node" />
// `@td7x/durable-x/node`: the same-host liveness check against real processes and /proc.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { linuxView, type ProcessView, parseStat, portableView } from '../node/process-view.ts';
import { hostLivenessWith, sameHostLiveness } from '../node/same-host.ts';
import { load, manualClock, memoryStorage, ownerIdentity, parseOwner } from '../src/result.ts';

const CHILD = fileURLToPath(new URL('./fixtures/identity-child.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const token = (identity: string) => `${identity}:${crypto.randomUUID()}`;

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

/** A real process on this host that prints its owner identity. */
const spawnOwner = async (): Promise<{ child: ChildProcess; identity: string }> => {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  const identity = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      if (out.includes('\n')) resolve(out.trim());
    });
    child.on('exit', (code) => reject(new Error(`identity child exited ${code}`)));
  });
  return { child, identity };
};

const killAndReap = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    child.on('exit', () => resolve());
    child.kill('SIGKILL');
  });

const linux = process.platform === 'linux';

describe.runIf(linux)('sameHostLiveness on Linux (/proc)', () => {
  it('says alive while the owner process runs, dead once it was killed', async () => {
    const { child, identity } = await spawnOwner();
    const check = sameHostLiveness();
    expect(parseOwner(token(identity))?.fields[3]).toBe(String(child.pid));
    expect(await check.check(token(identity), new AbortController().signal)).toBe('alive');
    await killAndReap(child);
    expect(await check.check(token(identity), new AbortController().signal)).toBe('dead');
  });

  it('says dead when the pid now belongs to a process started later, unknown for one started earlier', () => {
    const check = sameHostLiveness();
    const [kind, host, boot, pidns] = (check.identity ?? '').split(':').map(decodeURIComponent);
    expect(kind).toBe('host');
    // Our parent runs under the pid it had at its start; an owner recorded with that pid but an
    // earlier start was a process before it.
    const parent = process.ppid;
    const start = BigInt(parseStat(readFileSync(`/proc/${parent}/stat`, 'utf8'))?.start ?? '0');
    const as = (ticks: bigint) =>
      token(ownerIdentity('host', host ?? '', boot ?? '', pidns ?? '', String(parent), String(ticks)));
    const signal = new AbortController().signal;
    expect(check.check(as(start), signal)).toBe('alive');
    expect(check.check(as(start - 1n), signal)).toBe('dead');
    expect(check.check(as(start + 1n), signal)).toBe('unknown');
  });

  it('says alive for this very process (a concurrent load), dead for an earlier process with its pid', () => {
    const check = sameHostLiveness();
    const self = linuxView().self;
    const signal = new AbortController().signal;
    expect(check.check(token(check.identity ?? ''), signal)).toBe('alive');
    const earlier = ownerIdentity(
      'host',
      self.host,
      self.boot,
      self.pidns,
      String(self.pid),
      String(BigInt(self.start) - 5n),
    );
    expect(check.check(token(earlier), signal)).toBe('dead');
  });

  it('says unknown for another boot, another pid namespace, another kind, or a token it cannot read', () => {
    const check = sameHostLiveness();
    const self = linuxView().self;
    const signal = new AbortController().signal;
    const gonePid = '4194303'; // above any pid_max default: never a live process
    const other = [
      ownerIdentity('host', self.host, crypto.randomUUID(), self.pidns, gonePid, '1'),
      ownerIdentity('host', self.host, self.boot, '1', gonePid, '1'),
      ownerIdentity('exec', 'pod-3', crypto.randomUUID()),
      ownerIdentity('host', self.host, self.boot, self.pidns, '-1', '1'),
      ownerIdentity('host', self.host, self.boot, self.pidns, gonePid),
      'dx',
    ];
    for (const identity of other) expect(check.check(token(identity), signal)).toBe('unknown');
    expect(check.check('not a token', signal)).toBe('unknown');
    // The same boot and namespace under another host name (renamed since): still this table.
    expect(
      check.check(token(ownerIdentity('host', 'renamed', self.boot, self.pidns, gonePid, '1')), signal),
    ).toBe('dead');
  });

  it('reads the state and start of a process whose name holds spaces and parentheses', () => {
    const stat = `123 (a ) b (c)) Z 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 987654321 19`;
    expect(parseStat(stat)).toEqual({ state: 'Z', start: '987654321' });
  });
});

describe('the same-host check, whatever the view', () => {
  const view = (inspect: ProcessView['inspect']): ProcessView => ({
    self: { host: 'h', boot: 'b', pidns: 'n', pid: 10, start: '500' },
    sameTable: (host, boot, pidns) => host === 'h' && boot === 'b' && pidns === 'n',
    inspect,
  });
  const owner = (pid: number, start: string) =>
    token(ownerIdentity('host', 'h', 'b', 'n', String(pid), start));
  const signal = new AbortController().signal;

  it('reads a zombie nobody reaped as dead, an unreadable process as unknown', () => {
    expect(hostLivenessWith(view(() => ({ state: 'gone' }))).check(owner(20, '100'), signal)).toBe('dead');
    expect(hostLivenessWith(view(() => ({ state: 'unknown' }))).check(owner(20, '100'), signal)).toBe(
      'unknown',
    );
  });

  it('compares start ticks beyond 2^53 exactly', () => {
    const big = '9007199254740993';
    const check = hostLivenessWith(view(() => ({ state: 'running', start: '9007199254740994' })));
    expect(check.check(owner(20, big), signal)).toBe('dead');
    expect(
      hostLivenessWith(view(() => ({ state: 'running', start: big }))).check(owner(20, big), signal),
    ).toBe('alive');
  });

  it('knows nothing where no view could be built (no identity, every answer unknown)', () => {
    const blind = hostLivenessWith(undefined);
    expect(blind.identity).toBeUndefined();
    expect(blind.check(owner(20, '1'), signal)).toBe('unknown');
  });
});

describe('the portable view (any platform: pid existence only)', () => {
  it('says dead once the pid is gone, unknown while it exists (its start cannot be read)', async () => {
    const check = hostLivenessWith(portableView());
    const { host, boot } = portableView().self;
    const { child } = await spawnOwner();
    const owner = token(ownerIdentity('host', host, boot, '', String(child.pid), ''));
    const signal = new AbortController().signal;
    expect(check.check(owner, signal)).toBe('unknown');
    await killAndReap(child);
    expect(check.check(owner, signal)).toBe('dead');
    const elsewhere = token(ownerIdentity('host', `${host}-other`, boot, '', String(child.pid), ''));
    const rebooted = token(
      ownerIdentity('host', host, String(Number(boot) - 3600), '', String(child.pid), ''),
    );
    expect([check.check(elsewhere, signal), check.check(rebooted, signal)]).toEqual(['unknown', 'unknown']);
  });
});

describe.runIf(linux)('load with sameHostLiveness', () => {
  it("takes over at once the run of a killed process, and never this process's own", async () => {
    const storage = memoryStorage();
    const clock = manualClock();
    const { child, identity } = await spawnOwner();
    // What the child would have written, had it loaded the run before it died.
    await load(storage, { clock: manualClock(clock.now()), ownerPrefix: identity })({})('theirs');
    const liveness = sameHostLiveness();
    expect((await load(storage, { clock, liveness })({})('theirs'))._unsafeUnwrapErr().type).toBe('RunBusy');
    await killAndReap(child);
    expect((await load(storage, { clock, liveness })({})('theirs'))._unsafeUnwrap().attempt).toBe(2);

    await load(storage, { clock, liveness })({})('mine');
    expect((await load(storage, { clock, liveness })({})('mine'))._unsafeUnwrapErr().type).toBe('RunBusy');
  });
});

/**
 * Bun and Deno where this machine has them: DX_BUN / DX_DENO, the runtime matrix's pinned
 * binaries (packages/runtimes, installed by `npm test`), or PATH. Node always.
 */
const runtimes = (): [string, string[]][] => {
  const found = (env: string, pinned: string, name: string): string | undefined => {
    if (process.env[env]) return process.env[env];
    const candidates = [
      fileURLToPath(new URL(`../../runtimes/node_modules/${pinned}`, import.meta.url)),
      ...(process.env.PATH ?? '').split(':').map((d) => `${d}/${name}`),
    ];
    return candidates.find((p) => existsSync(p));
  };
  const bun = found('DX_BUN', 'bun/bin/bun.exe', 'bun');
  const deno = found('DX_DENO', 'deno/deno', 'deno');
  return [
    ['node', [process.execPath, '--import', 'tsx']],
    ...(bun ? [['bun', [bun]] as [string, string[]]] : []),
    // Deno reads /proc only under --allow-all.
    ...(deno ? [['deno', [deno, 'run', '-A']] as [string, string[]]] : []),
  ];
};

const RUNTIME_CHECK = fileURLToPath(new URL('./fixtures/runtime-check.ts', import.meta.url));

const runCheck = (command: string[], token: string) =>
  new Promise<{ identity: string; self: string; other: string }>((resolve, reject) => {
    const [bin = '', ...args] = command;
    const child = spawn(bin, [...args, RUNTIME_CHECK, token], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
    });
    child.on('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`${bin} exited ${code}`)),
    );
  });

describe.runIf(linux).each(runtimes())('sameHostLiveness under %s', (_, command) => {
  it('tells a live owner from a killed one, and writes identities the other runtimes read', async () => {
    const { child, identity } = await spawnOwner();
    const alive = await runCheck(command, token(identity));
    expect(alive).toMatchObject({ self: 'alive', other: 'alive' });
    await killAndReap(child);
    expect((await runCheck(command, token(identity))).other).toBe('dead');
    // Its own identity is exact (start ticks read from /proc), and its process has exited by now.
    expect(parseOwner(token(alive.identity))?.fields).toHaveLength(5);
    expect(parseOwner(token(alive.identity))?.fields[4]).toMatch(/^\d+$/);
    expect(sameHostLiveness().check(token(alive.identity), new AbortController().signal)).toBe('dead');
  }, 60_000);
});
