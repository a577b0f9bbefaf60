import { createProgressGroup } from './progress';

/** A stand-in for process.stderr that records what is written. */
function fakeStream(isTTY: boolean) {
  const chunks: string[] = [];
  return { chunks, stream: { isTTY, write: (s: string) => (chunks.push(s), true) } as unknown as NodeJS.WriteStream };
}

describe('createProgressGroup (plain lines when not a TTY)', () => {
  it('prints a line every 10% and a final line', () => {
    const { chunks, stream } = fakeStream(false);
    const group = createProgressGroup({ stream });
    const task = group.task('replay', 200);
    for (let i = 0; i < 200; i++) task.increment(1, 'ok');
    task.done('finished');
    group.stop();
    expect(chunks).toHaveLength(11);
    expect(chunks[0]).toBe('replay: 20/200 (10%) ok\n');
    expect(chunks[9]).toBe('replay: 200/200 (100%) ok\n');
    expect(chunks[10]).toBe('replay: done, 200 — finished\n');
  });
  it('honours lineEvery, update() and silent', () => {
    const { chunks, stream } = fakeStream(false);
    const task = createProgressGroup({ stream, lineEvery: 50 }).task('x', 10);
    task.update(4);
    task.update(6);
    task.update(10);
    expect(chunks).toEqual(['x: 6/10 (50%)\n', 'x: 10/10 (100%)\n']);
    const quiet = fakeStream(false);
    const t = createProgressGroup({ stream: quiet.stream, silent: true }).task('y', 1);
    t.increment();
    t.done();
    expect(quiet.chunks).toEqual([]);
  });
});
