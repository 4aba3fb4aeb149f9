// `npm start`: the zero-setup quick start. The first run writes data/config.yaml with fresh
// secrets and keys and an embedded SQLite database (data/gatehouse.db); every run then starts the
// server (migrating the database) with that file. Delete data/ to start over.

import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { main } from '../src/cli/main.ts';
import { generateConfig } from '../src/config/generate.ts';
import { systemRng } from '../src/rng.ts';

const configPath = 'data/config.yaml';

if (existsSync(configPath)) {
  console.log(`Using the configuration in ${resolve(configPath)}`);
} else {
  mkdirSync('data', { recursive: true });
  const yaml = await generateConfig({
    rng: systemRng,
    database: 'sqlite:data/gatehouse.db',
    publicBase: 'http://localhost:8080/',
  });
  // The file holds the encryption secret and private keys: readable by its owner only.
  writeFileSync(configPath, yaml, { mode: 0o600 });
  console.log(`Generated a new configuration with fresh secrets in ${resolve(configPath)}`);
}

process.exitCode = await main(['server', '--config', configPath], {
  env: process.env,
  cwd: process.cwd(),
});
