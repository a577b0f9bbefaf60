import type { Command } from 'commander';

/** One CLI command: a file in src/cli that adds itself to the program. */
export interface CliCommand {
  register(program: Command): void;
}

/** Thrown by a command for a problem the user can fix; printed as one line, exit code 2 (or `exitCode`). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
