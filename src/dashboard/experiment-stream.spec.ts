import type { MessageEvent } from '@nestjs/common';
import { firstValueFrom, take, toArray } from 'rxjs';
import { notFound } from '../common/errors';
import type { ExperimentView } from '../experiments/experiment.dto';
import { ExperimentStream, type ExperimentViews } from './experiment-stream';

/** A view source whose experiment changes when told to, counting reads. */
class Views implements ExperimentViews {
  reads = 0;
  version = 0;
  gone = false;
  async get(id: string): Promise<ExperimentView> {
    this.reads++;
    if (this.gone) throw notFound(`experiment "${id}" does not exist`);
    // a live evaluation carries the time it was made (and the age in a time-limit check): every read differs there
    const evaluation = { source: 'live', at: new Date(this.reads).toISOString(), status: 'continue', checks: [{ key: 'maxDuration', unit: 'seconds', value: this.reads, met: false }] };
    return { id, status: 'running', arms: [{ index: 0, assignments: this.version }], evaluation } as unknown as ExperimentView;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const served = (e: MessageEvent) => (JSON.parse(e.data as string) as { arms: Array<{ assignments: number }> }).arms[0].assignments;

describe('ExperimentStream', () => {
  it('sends the view at once, then only when it changed (the clock of a live evaluation alone is no change)', async () => {
    const views = new Views();
    const stream = new ExperimentStream(views, { intervalMs: 5, heartbeatMs: 60_000 });
    const got = firstValueFrom(stream.events('x').pipe(take(3), toArray()));
    await sleep(40); // several reads, no change
    views.version = 1;
    await sleep(40);
    views.version = 2;
    const events = await got;
    expect(events.map((e) => e.type)).toEqual(['experiment', 'experiment', 'experiment']);
    expect(events.map(served)).toEqual([0, 1, 2]);
    expect(views.reads).toBeGreaterThan(5);
    stream.close();
  });

  it('watches an experiment once however many listen, and stops when the last one leaves', async () => {
    const views = new Views();
    const stream = new ExperimentStream(views, { intervalMs: 10, heartbeatMs: 60_000 });
    const a: MessageEvent[] = [];
    const b: MessageEvent[] = [];
    const subA = stream.events('x').subscribe((e) => a.push(e));
    const subB = stream.events('x').subscribe((e) => b.push(e));
    await sleep(55);
    // one loop: about one read per interval, not two
    expect(views.reads).toBeLessThanOrEqual(8);
    expect(stream.watched).toBe(1);
    views.version = 5;
    await sleep(30);
    expect(a.map(served)).toEqual([0, 5]);
    expect(b.map(served)).toEqual([0, 5]);
    subA.unsubscribe();
    expect(stream.watched).toBe(1);
    subB.unsubscribe();
    expect(stream.watched).toBe(0);
    const reads = views.reads;
    await sleep(40);
    expect(views.reads).toBe(reads);
  });

  it('a late listener gets the current view without waiting for a change', async () => {
    const views = new Views();
    const stream = new ExperimentStream(views, { intervalMs: 10, heartbeatMs: 60_000 });
    const first = stream.events('x').subscribe();
    await sleep(30);
    const late = await firstValueFrom(stream.events('x'));
    expect(served(late)).toBe(0);
    first.unsubscribe();
    stream.close();
  });

  it('says `gone` and completes when the experiment disappears', async () => {
    const views = new Views();
    const stream = new ExperimentStream(views, { intervalMs: 5, heartbeatMs: 60_000 });
    const all = firstValueFrom(stream.events('x').pipe(toArray()));
    await sleep(20);
    views.gone = true;
    const events = await all;
    expect(events.map((e) => e.type)).toEqual(['experiment', 'gone']);
    expect(JSON.parse(events[1].data as string)).toEqual({ code: 'not_found', message: 'experiment "x" does not exist' });
    expect(stream.watched).toBe(0);
  });

  it('close() ends every open stream', async () => {
    const stream = new ExperimentStream(new Views(), { intervalMs: 5, heartbeatMs: 60_000 });
    const done = firstValueFrom(stream.events('x').pipe(toArray()));
    await sleep(15);
    stream.close();
    expect((await done).length).toBe(1);
  });
});
