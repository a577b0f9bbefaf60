/**
 * Time and entropy, behind one small interface so services never read the system clock
 * or the OS random source directly (tests substitute a manual clock and a fixed seed).
 */
import { randomBytes } from 'node:crypto';

export interface ClockRepository {
  /** Milliseconds since the epoch. */
  now(): number;
  /** A fresh 32-bit seed for a pseudo-random generator. */
  seed(): number;
}

export const CLOCK = Symbol('ClockRepository');

export class SystemClock implements ClockRepository {
  now(): number {
    return Date.now();
  }
  seed(): number {
    return randomBytes(4).readUInt32LE(0);
  }
}

/** A clock that only moves when told to, with a fixed seed sequence (tests). */
export class ManualClock implements ClockRepository {
  private seeds = 0;
  constructor(
    private t = 0,
    private readonly baseSeed = 1,
  ) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
  seed(): number {
    return (this.baseSeed + this.seeds++) >>> 0;
  }
}
