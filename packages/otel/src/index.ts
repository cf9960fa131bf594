/**
 * `@td7x/durable-x-otel`: OpenTelemetry spans for durable-x runs, from the core's events, on
 * `@opentelemetry/api` (bring your own SDK and exporter). See README.md for a trace.
 */
export { ATTR } from './attributes.ts';
export { type DurableTracing, durableTracing, type TracingOptions } from './tracing.ts';
