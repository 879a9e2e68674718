import type { ValueTransformer } from 'typeorm';

/**
 * Epoch milliseconds live in 64-bit integer columns. PostgreSQL's driver hands
 * BIGINT back as a string (it may exceed 2^53); ours never does, so read it as a number.
 */
export const epochMs: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | number | null) => (value === null || value === undefined ? null : Number(value)),
};
