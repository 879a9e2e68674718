import { ParseIntPipe } from '@nestjs/common';
import { InvalidInputError } from './domain-errors';

/** `:id` path parameters are positive integers; anything else is a 400 naming the parameter. */
export const IdParam = (name = 'id') =>
  new ParseIntPipe({ exceptionFactory: () => InvalidInputError.forFields([{ field: name, message: 'must be a positive integer' }]) });
