import { mergeConfig } from 'vitest/config';
import shared from '../../vitest.shared.ts';

// Resolves the S3 server once (TEST_S3_*, or a container, or an error that says what to run).
export default mergeConfig(shared, { test: { globalSetup: ['./test/global-setup.ts'] } });
