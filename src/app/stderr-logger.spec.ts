import { StderrLogger } from './create-app';

describe('StderrLogger (the demo service’s logger: stdout stays the report)', () => {
  it('writes warnings and logs to stderr, nothing to stdout', () => {
    const out = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const err = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const logger = new StderrLogger({ logLevels: ['error', 'warn', 'log'] });
      logger.warn('a held-back winner', 'Experiments');
      logger.log('listening', 'Service');
      expect(out).not.toHaveBeenCalled();
      expect(err.mock.calls.map((c) => String(c[0])).join('')).toMatch(/a held-back winner[\s\S]*listening/);
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
  });
});
