import type { CliCommand } from './command';
import { armCommand } from './arm.command';
import { configCommand } from './config.command';

/** Every command of the `bandit` executable, in the order `--help` lists them. */
export const COMMANDS: CliCommand[] = [configCommand, armCommand];
