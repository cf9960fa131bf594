import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT } from '../src/exit-codes.ts';
import { main } from '../src/main.ts';
import { cli } from './support/cli.ts';

/** `main` in this process, its output captured: argument handling needs no process of its own. */
const inProcess = async (args: readonly string[]) => {
  const capture = () => {
    const stream = new PassThrough();
    let text = '';
    stream.on('data', (d: Buffer) => {
      text += d.toString('utf8');
    });
    return { stream, text: () => text };
  };
  const [stdout, stderr] = [capture(), capture()];
  const code = await main(['node', 'durable-x', ...args], {
    stdout: stdout.stream,
    stderr: stderr.stream,
    env: { ...process.env, NO_COLOR: '1', DURABLE_X_STORAGE: '' },
  });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
};

const dir = mkdtempSync(join(tmpdir(), 'dx-cli-usage-'));
const missing = join(dir, 'missing.db');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('durable-x usage: help everywhere, and bad input is exit 2 before anything is touched', () => {
  it('--help lists the commands, the storage URLs and the exit codes; every command has its own', async () => {
    const help = await inProcess(['--help']);
    expect(help.code).toBe(EXIT.ok);
    for (const command of [
      'ls',
      'show',
      'cancel',
      'signal',
      'wait',
      'recover',
      'purge',
      'export',
      'import',
    ]) {
      expect(help.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
      const own = await inProcess([command, '--help']);
      expect([command, own.code, own.stdout.startsWith(`Usage: durable-x ${command}`)]).toEqual([
        command,
        EXIT.ok,
        true,
      ]);
    }
    expect(help.stdout).toContain('Exit codes:');
    expect(help.stdout).toContain('s3://bucket/prefix/');
  });

  it.each([
    ['an unknown command', ['--storage', missing, 'frobnicate'], /unknown command 'frobnicate'/],
    ['an unknown option', ['--storage', missing, 'ls', '--bogus'], /unknown option '--bogus'/],
    ['no storage', ['ls'], /no storage given: pass --storage <url> or set DURABLE_X_STORAGE/],
    ['an unknown scheme', ['--storage', 'ftp://host/x', 'ls'], /unknown storage scheme "ftp:"/],
    [
      'an unknown URL parameter',
      ['--storage', 's3://bucket/p?bogus=1', 'ls'],
      /s3 URL: unknown parameter "bogus"/,
    ],
    [
      'an S3 prefix the adapter refuses',
      ['--storage', 's3://bucket/runs/', 'ls'],
      /prefix "runs\/" has a folder named "runs"/,
    ],
    ['a SQLite file that does not exist', ['--storage', missing, 'ls'], /sqlite: no database file at/],
    [
      'a malformed duration',
      ['--storage', missing, 'purge', '--older-than', '5 parsecs'],
      /expected a duration/,
    ],
    [
      'purge without --older-than',
      ['--storage', missing, 'purge'],
      /required option '--older-than <duration>'/,
    ],
    [
      'a status that does not exist',
      ['--storage', missing, 'ls', '--status', 'sleeping'],
      /expected statuses among running/,
    ],
    [
      'a payload that is not JSON',
      ['--storage', `sqlite:${join(dir, 'x.db')}`, 'signal', 'r', 'n', '{by: ops}'],
      /payload: not JSON/,
    ],
  ])('%s', async (_, args, message) => {
    const result = await inProcess(args as string[]);
    expect(result.code).toBe(EXIT.usage);
    expect(result.stderr).toMatch(message);
  });

  it('the exit code is the process’s own', async () => {
    const result = await cli(['--storage', missing, 'ls']);
    expect([result.code, result.stderr]).toEqual([
      EXIT.usage,
      `durable-x: sqlite: no database file at ${missing}\n`,
    ]);
  });

  it('a storage that does not answer is exit 1, with its error', async () => {
    const result = await cli(['--storage', 'postgres://nobody@127.0.0.1:1/none', 'ls']);
    expect(result.code).toBe(EXIT.failure);
    expect(result.stderr).toMatch(/^durable-x: storage postgres failed in list: .*ECONNREFUSED/);
  });

  it('a malformed export line is refused before any run is written', async () => {
    const target = `sqlite:${join(dir, 'import.db')}`;
    const result = await cli(['--storage', target, 'import'], {
      input: '{"format":"durable-x.run/1","run":{}}\n',
    });
    expect(result.code).toBe(EXIT.usage);
    expect(result.stderr).toBe(
      'durable-x: line 1: not an exported run: run.runId: expected a non-empty string\n',
    );
  });
});
