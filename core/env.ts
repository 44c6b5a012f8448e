// Process start-up: parse the config or exit with a message naming each bad variable.
import { readFileSync } from 'node:fs';
import { type Config, ConfigError, loadConfig } from './config.js';

export function configOrExit(): Config {
  try {
    return loadConfig(process.env, (p) => readFileSync(p, 'utf8'));
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`[cofi] ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
}
