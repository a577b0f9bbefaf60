/** Validation at the edge: a zod schema per body / parameter; a failure is a 400 naming the field. */
import type { PipeTransform } from '@nestjs/common';
import type { z } from 'zod';
import { BanditError, ErrorCode } from '../common/errors';
import { formatZodError } from '../experiments/experiment.dto';

export class ZodPipe<S extends z.ZodType> implements PipeTransform<unknown, z.infer<S>> {
  constructor(
    private readonly schema: S,
    private readonly what = 'request body',
  ) {}

  transform(value: unknown): z.infer<S> {
    if (this.what === 'request body' && (value === undefined || value === null || typeof value !== 'object' || Array.isArray(value))) {
      throw new BanditError(ErrorCode.InvalidInput, 'request body must be a JSON object');
    }
    const r = this.schema.safeParse(value);
    if (!r.success) throw new BanditError(ErrorCode.InvalidInput, `${this.what}: ${formatZodError(r.error)}`);
    return r.data;
  }
}
