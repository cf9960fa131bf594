import { describe, expect, it } from 'vitest';
import { parseDuration } from '../src/output/time.ts';
import { describeTarget, parseTarget } from '../src/target/parse.ts';

describe('storage URLs', () => {
  it.each([
    [
      'postgres://u:p@db:5432/app?schema=jobs&tablePrefix=dx_&sslmode=require',
      {
        kind: 'postgres',
        url: 'postgres://u:p@db:5432/app?sslmode=require',
        schema: 'jobs',
        tablePrefix: 'dx_',
      },
    ],
    ['postgresql://db/app', { kind: 'postgres', url: 'postgresql://db/app' }],
    [
      'redis://cache:6379/2?prefix=app%3A&buckets=4',
      { kind: 'redis', url: 'redis://cache:6379/2', prefix: 'app:', buckets: 4 },
    ],
    ['rediss://cache:6380', { kind: 'redis', url: 'rediss://cache:6380' }],
    ['sqlite:runs.db', { kind: 'sqlite', file: 'runs.db' }],
    [
      'sqlite:///var/lib/app/runs.db?tablePrefix=jobs_',
      { kind: 'sqlite', file: '/var/lib/app/runs.db', tablePrefix: 'jobs_' },
    ],
    ['./runs.db', { kind: 'sqlite', file: './runs.db' }],
    ['/tmp/runs.db', { kind: 'sqlite', file: '/tmp/runs.db' }],
    ['file:///tmp/my%20runs.db', { kind: 'sqlite', file: '/tmp/my runs.db' }],
    ['s3://bucket/tenants/a/', { kind: 's3', bucket: 'bucket', prefix: 'tenants/a/' }],
    ['s3://bucket', { kind: 's3', bucket: 'bucket', prefix: '' }],
    ['s3://bucket/p?pathStyle=false', { kind: 's3', bucket: 'bucket', prefix: 'p', pathStyle: false }],
    ['windmill:', { kind: 'windmill' }],
    ['windmill://main?schema=durable', { kind: 'windmill', datatable: 'main', schema: 'durable' }],
  ])('%s', (text, target) => {
    expect(parseTarget(text)).toEqual(target);
  });

  it.each([
    ['', /no storage given/],
    ['mysql://db/app', /unknown storage scheme "mysql:"/],
    ['redis://cache?buckets=0', /buckets: expected a positive integer/],
    ['s3:///prefix', /no bucket/],
    ['sqlite:', /no file path/],
    ['windmill://main?datatable=x', /unknown parameter "datatable"/],
  ])('refuses %j', (text, message) => {
    expect(() => parseTarget(text)).toThrow(message);
  });

  it('never prints a password', () => {
    expect(describeTarget(parseTarget('postgres://app:s3cret@db/app'))).toBe('postgres://app:***@db/app');
  });
});

describe('durations', () => {
  it.each([
    ['500ms', 500],
    ['90s', 90_000],
    ['1h30m', 5_400_000],
    ['7d', 604_800_000],
    ['1.5h', 5_400_000],
    ['2w', 1_209_600_000],
  ])('%s', (text, ms) => expect(parseDuration('--x', text)).toBe(ms));

  it.each(['', '5', 'h', '-1h', '1 h', '1y'])('refuses %j', (text) => {
    expect(() => parseDuration('--older-than', text)).toThrow(/--older-than: expected a duration/);
  });
});
