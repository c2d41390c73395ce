/** The db area's public surface: build a database from feeds, open one for lookups, where it lives. */
export { buildDb, digestRows, type BuildOptions } from './build.js';
export { openDb, type AdvisoryDb } from './open.js';
export { defaultDbPath } from './paths.js';
export { SCHEMA_VERSION } from './schema.js';
export type { DbStatus, FeedStatus } from './status.js';
export type { SqlDriver, SqlStatement, SqlValue } from './driver.js';
