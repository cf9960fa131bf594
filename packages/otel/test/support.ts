import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';

/** The SDK's in-memory exporter behind a provider, with async context so active spans follow awaits. */
export const inMemoryTracing = () => {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const manager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(manager);
  return {
    exporter,
    tracer: provider.getTracer('test'),
    spans: (): ReadableSpan[] => exporter.getFinishedSpans(),
    close: async () => {
      await provider.shutdown();
      manager.disable();
      context.disable();
      trace.disable();
    },
  };
};

const SHOWN = [
  'durable_x.run.attempt',
  'durable_x.run.previous_status',
  'durable_x.run.outcome',
  'durable_x.step.memoized',
  'durable_x.step.attempt',
  'durable_x.step.output_bytes',
  'durable_x.cleanup.forgot_steps',
  'durable_x.suspension.reason',
  'durable_x.signal.timed_out',
];

/** The spans as an indented tree (children in start order), with the attributes that tell the story. */
export const tree = (spans: readonly ReadableSpan[]): string => {
  const byParent = new Map<string | undefined, ReadableSpan[]>();
  const ids = new Set(spans.map((s) => s.spanContext().spanId));
  for (const span of spans) {
    const parent = span.parentSpanContext?.spanId;
    const key = parent !== undefined && ids.has(parent) ? parent : undefined;
    byParent.set(key, [...(byParent.get(key) ?? []), span]);
  }
  const time = (s: ReadableSpan) => s.startTime[0] * 1e9 + s.startTime[1];
  const lines: string[] = [];
  const walk = (parent: string | undefined, depth: number) => {
    for (const span of [...(byParent.get(parent) ?? [])].sort((a, b) => time(a) - time(b))) {
      const attrs = SHOWN.filter((k) => span.attributes[k] !== undefined)
        .map((k) => `${k.replace(/^durable_x\.[a-z]+\./, '')}=${String(span.attributes[k])}`)
        .join(' ');
      const status = span.status.code === 2 ? ' ERROR' : '';
      lines.push(`${'  '.repeat(depth)}${span.name}${attrs ? ` [${attrs}]` : ''}${status}`);
      walk(span.spanContext().spanId, depth + 1);
    }
  };
  walk(undefined, 0);
  return lines.join('\n');
};
