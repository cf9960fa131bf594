import { CliError } from '../errors.ts';
import { EXIT } from '../exit-codes.ts';

/**
 * Imports a backend's driver (or storage package) only when its URL is used: the drivers are
 * optional peer dependencies, so a user of one backend installs only that driver.
 */
export const importDriver = async <T>(name: string, load: () => Promise<T>, scheme: string): Promise<T> => {
  try {
    return await load();
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new CliError(EXIT.usage, `${scheme} storage needs the ${name} package: npm install ${name}`);
    }
    throw error;
  }
};
