/**
 * The dead-letter table: events the event store refused (a NUL byte, a value longer than
 * its column, …). Each is kept with the database's reason, so the queue moves on and an
 * operator can inspect (and, after fixing the value, replay) what was set aside.
 */
import type { DataSource } from 'typeorm';
import type { QueuedEvent } from '../event-queue/event-queue';

export interface DeadLetter {
  event: QueuedEvent;
  reason: string;
}

export interface DeadLetterRow {
  experimentId: string;
  decisionId: string;
  eventType: string;
  payload: string;
  reason: string;
  createdAt: Date;
}

/** Longest reason / decision id kept (the reason is the database's message). */
const MAX_TEXT = 2000;

export class DeadLetterRepository {
  readonly driver: 'postgres' | 'sqlite';

  constructor(private readonly ds: DataSource) {
    this.driver = ds.options.type === 'postgres' ? 'postgres' : 'sqlite';
  }

  /** Stores the refused events; every text is made storable (control characters escaped). */
  async insert(letters: readonly DeadLetter[], at = new Date()): Promise<void> {
    if (letters.length === 0) return;
    const pg = this.driver === 'postgres';
    const params: unknown[] = [];
    const tuples = letters.map(({ event, reason }) => {
      params.push(storable(event.experimentId), storable(event.decisionId), storable(event.type), JSON.stringify(event), storable(reason), pg ? at : at.toISOString().replace('T', ' ').replace('Z', ''));
      const n = params.length - 6;
      return pg ? `($${n + 1},$${n + 2},$${n + 3},$${n + 4},$${n + 5},$${n + 6})` : '(?,?,?,?,?,?)';
    });
    await this.ds.query(`INSERT INTO bandit_dead_letters (experiment_id, decision_id, event_type, payload, reason, created_at) VALUES ${tuples.join(',')}`, params);
  }

  async count(experimentId?: string): Promise<number> {
    const pg = this.driver === 'postgres';
    const rows = (await (experimentId === undefined
      ? this.ds.query('SELECT count(*) AS n FROM bandit_dead_letters')
      : this.ds.query(`SELECT count(*) AS n FROM bandit_dead_letters WHERE experiment_id = ${pg ? '$1' : '?'}`, [experimentId]))) as Array<{ n: number | string }>;
    return Number(rows[0]?.n ?? 0);
  }
}

/** JSON-escapes control characters and unpaired surrogates (what made the row unstorable), and bounds the length. */
function storable(s: string | null | undefined): string {
  const text = String(s ?? '');
  const escaped = /[\p{Cc}\p{Cs}]/u.test(text) ? JSON.stringify(text).slice(1, -1) : text;
  return escaped.length > MAX_TEXT ? `${escaped.slice(0, MAX_TEXT)}…` : escaped;
}

/**
 * True when the database refused the rows' values (the same rows will always fail), as
 * opposed to the database being unreachable or overloaded (retry later): Postgres
 * SQLSTATE class 22 (data exception: invalid byte sequence, value too long, out of range)
 * and 23 (integrity constraint), SQLite constraint / mismatch / too big.
 */
export function isRefusedRow(err: unknown): boolean {
  const e = err as { code?: unknown; driverError?: { code?: unknown } };
  const code = String(e?.driverError?.code ?? e?.code ?? '');
  return /^(22|23)[0-9A-Z]{3}$/.test(code) || /^SQLITE_(CONSTRAINT|MISMATCH|TOOBIG)/.test(code);
}
