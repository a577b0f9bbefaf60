import type { CliCommand } from './command';
import { configCommand } from './config.command';

/** Every command of the `bandit` executable, in the order `--help` lists them. */
export const COMMANDS: CliCommand[] = [configCommand];
