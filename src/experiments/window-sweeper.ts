/**
 * Closes conversion windows: every WINDOW_SWEEP_MS, each replica counts the default reward
 * of the decisions whose window closed unrewarded (ExperimentsService.sweepWindows). The
 * open decisions live in the posterior store, sorted by deadline, and each is claimed
 * atomically by the one script that counts it — so with many replicas, and after
 * restarts, each closed window is counted exactly once and no timer per decision is held
 * in memory.
 */
import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { ExperimentsService } from './experiment.service';

export const WINDOW_SWEEP_MS = 250;

@Injectable()
export class WindowSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('Windows');
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private lastError = '';

  constructor(private readonly experiments: ExperimentsService) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.tick(), WINDOW_SWEEP_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private async tick(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      await this.experiments.sweepWindows();
      this.lastError = '';
    } catch (err) {
      // logged once per distinct failure (an unreachable store fails every tick)
      const msg = String(err);
      if (msg !== this.lastError) this.log.warn(`closing conversion windows failed: ${msg}`);
      this.lastError = msg;
    } finally {
      this.running = false;
    }
  }
}
