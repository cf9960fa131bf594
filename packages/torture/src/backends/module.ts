// The storage module every child process imports (see @td7x/testing's crash harness): the
// backend and its namespace come from the environment, so each child opens its own client.
import { openBackend } from './open.ts';

export default () => openBackend(process.env);
