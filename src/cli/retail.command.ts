import type { Command } from 'commander';
import { retailArms } from '../pipeline/retail';
import { CliError, type CliCommand } from './command';

export const retailCommand: CliCommand = {
  register(program: Command) {
    program
      .command('retail-arms')
      .description('turn a UCI Online Retail II CSV into simulated traffic: arms = product categories, click rates = purchase rates (JSON {arms, ctr})')
      .argument('<file>', 'Online Retail II CSV (Invoice, StockCode, Description, Quantity, InvoiceDate, Price, Customer ID, Country)')
      .option('--arms <n>', 'number of categories (the most purchased)', '8')
      .action(async (file: string, o: { arms: string }) => {
        const n = Number(o.arms);
        if (!Number.isInteger(n) || n < 2) throw new CliError(`--arms must be an integer >= 2, got ${JSON.stringify(o.arms)}`);
        process.stdout.write(JSON.stringify(await retailArms(file, { arms: n }), null, 2) + '\n');
      });
  },
};
