import { openServices, type OpenedServices } from '../app/composition';
import { EventStoreUnavailable } from '../app/event-store';
import type { Config } from '../config/config';
import { CliError } from './command';

/**
 * The stores and services a CLI command works on: the server's own wiring
 * (src/app/composition.ts) from the same config. The consumer's warnings go to stderr,
 * prefixed with the command; an event store that cannot be opened is a CLI error (exit 1).
 */
export async function openCliServices(config: Config, command: string): Promise<OpenedServices> {
  try {
    return await openServices(config, { warn: (m) => process.stderr.write(`bandit ${command}: ${m}\n`) });
  } catch (err) {
    if (err instanceof EventStoreUnavailable) throw new CliError(err.message, 1);
    throw err;
  }
}
