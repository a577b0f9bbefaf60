import type { Command } from 'commander';
import { loadConfig } from '../config/config';
import { variableLines } from '../config/docs-table';
import type { CliCommand } from './command';

const redact = (k: string, v: unknown) => (/token|secret|password|accessKey/i.test(k) && typeof v === 'string' ? '<redacted>' : v);

export const configCommand: CliCommand = {
  register(program: Command) {
    program
      .command('config')
      .description('validate the environment and print the resolved configuration (secrets redacted)')
      .option('--variables', 'list the environment variables that are read: name, default, deployables that read it, secret or not, meaning (tab-separated)')
      .action((opts: { variables?: boolean }) => {
        if (opts.variables) {
          for (const line of variableLines()) process.stdout.write(`${line}\n`);
          return;
        }
        const cfg = loadConfig();
        // redis://:pw@, redis://user:pw@ and redis+cluster://:pw@ alike
        const redisUrl = cfg.redis ? { ...cfg.redis, url: cfg.redis.url.replace(/\/\/([^:/@]*):[^@]*@/, '//$1:<redacted>@') } : undefined;
        const dbUrl = cfg.databaseUrl?.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:<redacted>@');
        process.stdout.write(JSON.stringify({ ...cfg, redis: redisUrl, databaseUrl: dbUrl }, redact, 2) + '\n');
      });
  },
};
