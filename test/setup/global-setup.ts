import { ensureTemplate } from './test-database';

/** Runs once per jest run: the migrated template database every test file clones. */
export default async function globalSetup(): Promise<void> {
  process.env.TZ = 'UTC';
  await ensureTemplate();
}
