/**
 * `bandit arm --name treatment_a --payload '{"banner":"b"}' [--port P]`: one arm (variant)
 * of a Seldon graph as a Seldon MODEL component (see src/seldon/arm-server.ts). The port
 * defaults to PREDICTIVE_UNIT_HTTP_SERVICE_PORT (set by the Seldon operator), else PORT,
 * else 8000; `--port 0` picks a free one. Prints `listening on http://host:port` once bound.
 * When the operator sets PREDICTIVE_UNIT_METRICS_SERVICE_PORT, that port answers too.
 */
import * as http from 'node:http';
import type { Command } from 'commander';
import { loadConfig } from '../config/config';
import { VERSION } from '../config/version';
import { createArmListener, listen } from '../seldon/arm-server';
import { CliError, type CliCommand } from './command';

interface ArmOptions {
  name: string;
  payload: string;
  port?: string;
  host?: string;
}

const ARM_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

function parsePort(raw: string): number {
  if (!/^\d+$/.test(raw) || Number(raw) > 65535) throw new CliError(`--port must be an integer 0..65535, got ${JSON.stringify(raw)}`);
  return Number(raw);
}

async function runArm(opts: ArmOptions): Promise<void> {
  if (!ARM_NAME.test(opts.name)) throw new CliError(`--name ${JSON.stringify(opts.name)} is not a valid arm name (letters, digits, _ . -; 1-63 characters)`);
  let payload: unknown;
  try {
    payload = JSON.parse(opts.payload);
  } catch (err) {
    throw new CliError(`--payload is not valid JSON: ${(err as Error).message}`);
  }
  const config = loadConfig();
  const listener = createArmListener({
    name: opts.name,
    payload,
    version: VERSION,
    metricsPath: config.seldon.metricsPath,
    bodyLimitBytes: config.bodyLimitBytes,
  });
  const host = opts.host ?? config.host;
  const wanted = opts.port === undefined ? config.port : parsePort(opts.port);
  const servers = [http.createServer(listener)];
  let port: number;
  try {
    port = await listen(servers[0], wanted, host);
    // the port the Seldon operator names `metrics` (Prometheus scrapes it)
    const metricsPort = config.seldon.metricsPort;
    if (metricsPort !== undefined && metricsPort !== port) {
      servers.push(http.createServer(listener));
      await listen(servers[1], metricsPort, host);
    }
  } catch (err) {
    for (const s of servers) s.close();
    throw new CliError(`cannot listen on ${host}: ${(err as Error).message}`, 1);
  }
  process.stdout.write(`arm ${opts.name} listening on http://${host}:${port}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      let open = servers.length;
      for (const s of servers) s.close(() => --open === 0 && resolve());
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}

export const armCommand: CliCommand = {
  register(program: Command) {
    program
      .command('arm')
      .description('serve one arm of a Seldon graph as a Seldon MODEL component (/predict, feedback, health, metadata)')
      .requiredOption('--name <name>', 'the arm name (the graph node name of this child)')
      .requiredOption('--payload <json>', "the variant's payload returned by /predict (JSON; an array is sent as data.ndarray, anything else as jsonData)")
      .option('--port <port>', 'HTTP port (default: PREDICTIVE_UNIT_HTTP_SERVICE_PORT, else PORT, else 8000)')
      .option('--host <host>', 'address to bind (default: BANDIT_HOST)')
      .action(runArm);
  },
};
