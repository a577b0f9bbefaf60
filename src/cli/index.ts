import type { CliCommand } from './command';
import { armCommand } from './arm.command';
import { codeServerCommand } from './code-server.command';
import { configCommand } from './config.command';
import { consumeCommand } from './consume.command';
import { demoCommand } from './demo.command';
import { designCommand } from './design.command';
import { dagsterCommand } from './dagster.command';
import { genObdCommand } from './gen-obd.command';
import { materializeCommand } from './materialize.command';
import { opeCommand } from './ope.command';
import { retailCommand } from './retail.command';
import { rebuildCommand } from './rebuild.command';
import { serveCommand } from './serve.command';
import { simulateCommand } from './simulate.command';
import { statsCommand } from './stats.command';

/** Every command of the `bandit` executable, in the order `--help` lists them. */
export const COMMANDS: CliCommand[] = [configCommand, demoCommand, statsCommand, armCommand, serveCommand, rebuildCommand, simulateCommand, codeServerCommand, dagsterCommand, materializeCommand, opeCommand, genObdCommand, retailCommand, consumeCommand, designCommand];
