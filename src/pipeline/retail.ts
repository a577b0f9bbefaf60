/**
 * The fallback traffic source: a UCI Online Retail II CSV (Invoice, StockCode,
 * Description, Quantity, InvoiceDate, Price, Customer ID, Country) becomes a simulated
 * bandit: arms are product categories, each arm's click rate is the category's purchase
 * rate — the share of invoices (visits) that bought at least one product of it.
 *
 * A category is the last word of the product description (the product noun: HOLDER,
 * BAG, MUG, …); the `arms` most purchased categories are kept. Cancelled invoices
 * (Invoice starting with "C"), non-positive quantities and rows without a description are
 * left out. DuckDB scans the file (1M+ rows are fine).
 */
import * as fs from 'node:fs/promises';
import { invalidInput } from '../common/errors';
import { Duck, sqlString } from './duckdb';

export interface RetailArms {
  /** Category names (the arms). */
  arms: string[];
  /** Purchase rate per arm: invoices containing the category / all invoices. */
  ctr: number[];
  invoices: number;
  rows: number;
  source: string;
}

const REQUIRED = ['Invoice', 'StockCode', 'Description', 'Quantity', 'InvoiceDate', 'Price', 'Customer ID', 'Country'];

export async function retailArms(file: string, options: { arms?: number } = {}): Promise<RetailArms> {
  const k = options.arms ?? 8;
  if (!(Number.isInteger(k) && k >= 2)) throw invalidInput(`the number of arms must be an integer >= 2, got ${k}`);
  await fs.access(file).catch(() => {
    throw invalidInput(`${file}: no such file`);
  });
  const duck = await Duck.open();
  try {
    const src = `read_csv(${sqlString(file)}, header = true, all_varchar = true)`;
    const cols = (await duck.all<{ column_name: string }>(`DESCRIBE SELECT * FROM ${src}`)).map((r) => r.column_name);
    const missing = REQUIRED.filter((c) => !cols.includes(c));
    if (missing.length > 0) throw invalidInput(`${file}: not an Online Retail II CSV: missing column(s) ${missing.join(', ')}`);
    await duck.run(
      `CREATE TEMP TABLE sales AS
       SELECT Invoice AS invoice, upper(regexp_extract(trim(Description), '([A-Za-z]+)[^A-Za-z]*$', 1)) AS category
       FROM ${src}
       WHERE Invoice IS NOT NULL AND NOT starts_with(Invoice, 'C') AND TRY_CAST(Quantity AS DOUBLE) > 0 AND coalesce(trim(Description), '') <> ''`,
    );
    const { invoices, rows } = await duck.one<{ invoices: number; rows: number }>('SELECT count(DISTINCT invoice)::DOUBLE AS invoices, count(*)::DOUBLE AS rows FROM sales');
    if (invoices === 0) throw invalidInput(`${file}: no valid purchases (after leaving out cancellations and non-positive quantities)`);
    const top = await duck.all<{ category: string; bought: number }>(
      `SELECT category, count(DISTINCT invoice)::DOUBLE AS bought FROM sales WHERE category <> '' GROUP BY category ORDER BY bought DESC, category LIMIT ${k}`,
    );
    if (top.length < 2) throw invalidInput(`${file}: fewer than 2 product categories`);
    return { arms: top.map((t) => t.category), ctr: top.map((t) => t.bought / invoices), invoices, rows, source: file };
  } finally {
    duck.close();
  }
}
