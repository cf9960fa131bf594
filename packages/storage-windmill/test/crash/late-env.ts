// Imports the package first, and only then gets a job's environment, as a host that sets it late
// would: windmillStorage must do nothing at import, and read the environment at its first call.
const { windmillStorage } = await import('@td7x/durable-x-windmill');
const late = process.env.DX_LATE_ENV;
if (!late) throw new Error('DX_LATE_ENV is not set');
Object.assign(process.env, JSON.parse(late) as Record<string, string>);
const snapshot = await windmillStorage.read('late-env/absent');
process.stdout.write(`DX_LATE_ENV_RESULT ${JSON.stringify({ snapshot: snapshot ?? null })}\n`);
