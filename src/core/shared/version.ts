import packageJson from '../../../package.json';

/** The package version: the version of the quick and built-in engines in reports. */
export const QRAFT_VERSION: string = packageJson.version;
