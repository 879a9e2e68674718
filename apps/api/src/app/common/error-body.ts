import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class FieldErrorBody {
  @ApiProperty({ description: 'The field, as a path into the request (e.g. readings[0].metrics.voltage)', example: 'readings[0].metrics.voltage' })
  field!: string;
  @ApiProperty({ description: 'What is wrong with it', example: 'must be a finite number' })
  message!: string;
}

/** The one error body every failing request answers with. */
export class ErrorBody {
  @ApiProperty({ description: 'HTTP status code', example: 400 })
  statusCode!: number;
  @ApiProperty({ description: 'What went wrong, in plain words', example: 'readings[0].metrics.voltage: must be a finite number' })
  message!: string;
  @ApiPropertyOptional({ description: 'Per-field problems, when the request had invalid fields', type: [FieldErrorBody] })
  errors?: FieldErrorBody[];
}
