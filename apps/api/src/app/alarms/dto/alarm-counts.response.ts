import { ApiProperty } from '@nestjs/swagger';

/** What the console's alarm counter shows. */
export class AlarmCountsResponse {
  @ApiProperty({ description: 'Active events nobody has acknowledged (shelved ones excluded): the counter', example: 2 }) activeUnacknowledged!: number;
  @ApiProperty({ description: 'Active events already acknowledged (shown apart)', example: 1 }) activeAcknowledged!: number;
  @ApiProperty({ description: 'Active events shelved (hidden)', example: 0 }) shelved!: number;
}
