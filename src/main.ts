#!/usr/bin/env node
/**
 * The `bandit` executable: parses the command line and hands over to one command
 * (src/cli/*). Each command boots only what it needs.
 */
import 'reflect-metadata';
import { Command, CommanderError } from 'commander';
import { COMMANDS } from './cli';
import { CliError } from './cli/command';
import { BanditError, CLI_EXIT_CODE } from './common/errors';
import { ConfigError } from './config/config';
import { VERSION } from './config/version';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('bandit')
    .description('Bayesian Bandit: Thompson sampling over Beta posteriors for adaptive experiments')
    .version(VERSION)
    .showHelpAfterError()
    .exitOverride();
  for (const c of COMMANDS) c.register(program);
  return program;
}

export async function main(argv: string[] = process.argv): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    return reportError(err);
  }
}

function reportError(err: unknown): number {
  if (err instanceof CommanderError) {
    // commander already printed help / the usage problem
    return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help' ? 0 : 2;
  }
  if (err instanceof CliError) {
    process.stderr.write(`bandit: ${err.message}\n`);
    return err.exitCode;
  }
  if (err instanceof ConfigError) {
    process.stderr.write(`bandit: ${err.message}\n`);
    return 2;
  }
  if (err instanceof BanditError) {
    process.stderr.write(`bandit: ${err.message}\n`);
    return CLI_EXIT_CODE[err.code];
  }
  process.stderr.write(`bandit: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return 1;
}

if (require.main === module) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`bandit: ${String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
