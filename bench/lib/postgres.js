/** A fresh database on the machine's Postgres for one benchmark, dropped by `drop()`. */
'use strict';
const crypto = require('node:crypto');
const { Client } = require('pg');

const POSTGRES_URL = process.env.BANDIT_BENCH_POSTGRES_URL || process.env.POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/test';

async function postgresReachable() {
  const c = new Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => {});
  }
}

async function withAdmin(sql) {
  const c = new Client({ connectionString: POSTGRES_URL });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

async function createDatabase(prefix = 'bandit_bench') {
  const name = `${prefix}_${crypto.randomBytes(5).toString('hex')}`;
  await withAdmin(`CREATE DATABASE ${name}`);
  const u = new URL(POSTGRES_URL);
  u.pathname = `/${name}`;
  return { url: u.toString(), name, drop: () => withAdmin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

module.exports = { POSTGRES_URL, postgresReachable, createDatabase };
