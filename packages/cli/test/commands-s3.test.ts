import { describeCli } from './support/suite.ts';

describeCli('s3');
