import { describeCli } from './support/suite.ts';

describeCli('windmill');
