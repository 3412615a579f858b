/**
 * `node dist/first-start.js` (the image's `first-start` command): the compose file's one-shot step before the
 * gateway, the worker and Evolution API start. It generates the secrets the operator left unset into SECRETS_FILE
 * once (later starts keep them), gives Evolution API the same global key, and says where the admin password is.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { loadOrCreateSecretsFile } from './config/secrets';

function main(): void {
  const file = process.env.SECRETS_FILE;
  if (!file) throw new Error('first-start: SECRETS_FILE must name the file to keep generated secrets in');
  const { values, created } = loadOrCreateSecretsFile(file);
  const say = (line: string) => process.stdout.write(`first-start: ${line}\n`);
  say(
    created
      ? `generated JWT_SECRET, ENCRYPTION_KEY, ADMIN_PASSWORD and EVOLUTION_API_KEY into ${file}`
      : `using the secrets generated earlier in ${file}`,
  );

  // Evolution API must accept the key the gateway calls it with: the operator's, else the generated one.
  const keyFile = process.env.EVOLUTION_KEY_FILE;
  if (keyFile) {
    writeFileSync(`${keyFile}.new`, process.env.EVOLUTION_API_KEY || values.EVOLUTION_API_KEY!, { mode: 0o600 });
    renameSync(`${keyFile}.new`, keyFile);
  }

  const admin = process.env.ADMIN_USERNAME || 'admin';
  if (process.env.ADMIN_PASSWORD) say(`the password of "${admin}" is the ADMIN_PASSWORD you set`);
  else
    say(
      `the password of "${admin}" is ADMIN_PASSWORD in ${file}: docker compose exec gateway grep ADMIN_PASSWORD ${file}`,
    );
  say(
    'variables set in the environment (.env) always win over the generated ones; keep ENCRYPTION_KEY once data exists',
  );
}

main();
