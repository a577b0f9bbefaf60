import { DuckDBInstance, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';

/**
 * One in-process DuckDB for the pipeline's scans: an in-memory database with a memory
 * limit and a spill folder, so scans of tens of millions of rows stream instead of
 * landing in JavaScript arrays.
 */
export class Duck {
  private constructor(
    private readonly instance: DuckDBInstance,
    readonly conn: DuckDBConnection,
  ) {}

  static async open(options: { threads?: number; memoryLimit?: string; tempDir?: string } = {}): Promise<Duck> {
    const config: Record<string, string> = { memory_limit: options.memoryLimit ?? '2GB' };
    if (options.threads) config.threads = String(options.threads);
    if (options.tempDir) config.temp_directory = options.tempDir;
    const instance = await DuckDBInstance.create(':memory:', config);
    return new Duck(instance, await instance.connect());
  }

  async run(sql: string, params?: DuckDBValue[]): Promise<void> {
    await this.conn.run(sql, params);
  }

  /** Rows as plain JS objects (BIGINT → bigint, so cast counts to DOUBLE / INTEGER in SQL). */
  async all<T = Record<string, unknown>>(sql: string, params?: DuckDBValue[]): Promise<T[]> {
    const r = await this.conn.runAndReadAll(sql, params);
    return r.getRowObjectsJS() as T[];
  }

  async one<T = Record<string, unknown>>(sql: string, params?: DuckDBValue[]): Promise<T> {
    const rows = await this.all<T>(sql, params);
    if (rows.length === 0) throw new Error(`query returned no row: ${sql}`);
    return rows[0];
  }

  /** Streams a query's result in DuckDB chunks (about 2048 rows each): numeric columns only. */
  async *chunks(sql: string, params?: DuckDBValue[]): AsyncGenerator<{ rows: number; columns: number[][] }> {
    const result = await this.conn.stream(sql, params);
    for (;;) {
      const chunk = await result.fetchChunk();
      if (!chunk || chunk.rowCount === 0) return;
      const columns: number[][] = [];
      for (let c = 0; c < chunk.columnCount; c++) columns.push(chunk.getColumnValues(c).map(Number));
      yield { rows: chunk.rowCount, columns };
    }
  }

  close(): void {
    this.conn.closeSync();
    this.instance.closeSync();
  }
}

/** A string literal for SQL (file paths). */
export function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** A quoted identifier. */
export function sqlIdent(s: string): string {
  return `"${s.replace(/"/g, '""')}"`;
}
