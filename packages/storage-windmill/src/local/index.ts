/**
 * `@td7x/durable-x-windmill/local`: run and test a Windmill script on your own machine (Bun or
 * Node), without a Windmill instance. A loopback stand-in of the routes of Windmill's API that
 * windmill-client's `datatable()` calls, running the SQL on a PostgreSQL you provide (needs `pg`),
 * and a way to run a script's `main` as a job of it. What it imitates and what it does not: the
 * package README, "Run it locally".
 */
export { useStandIn } from './client.ts';
export { type JobError, type JobResult, type LocalJob, type RunJobOptions, runJob } from './job.ts';
export {
  type Fault,
  type JobState,
  type Route,
  type StandIn,
  type StandInOptions,
  startStandIn,
} from './stand-in.ts';
