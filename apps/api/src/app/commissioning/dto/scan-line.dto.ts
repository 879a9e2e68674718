import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsObject, IsOptional, Max, Min, ValidateNested } from 'class-validator';

export class ScanProbeDto {
  @ApiProperty({ description: 'Function code of the probe read: 3 holding registers, 4 input registers', enum: [3, 4], example: 4 })
  @IsIn([3, 4])
  function!: 3 | 4;

  @ApiProperty({ description: 'Register address read at every id (0-65535)', example: 0 })
  @IsInt()
  @Min(0)
  @Max(65535)
  address!: number;

  @ApiProperty({ description: 'Registers read at every id (1-125)', example: 1 })
  @IsInt()
  @Min(1)
  @Max(125)
  count!: number;
}

export class ScanLineDto {
  @ApiProperty({
    description:
      "The line: a Modbus device's config without its slave id / unit id (transport, port or host, serial settings; driver optional, it only picks serial defaults). Held to the same network and serial-port allow-lists as a device's settings.",
    type: 'object',
    additionalProperties: true,
    example: { transport: 'rtu', port: '/dev/serial/by-id/usb-FTDI-if00-port0', baudRate: 9600 },
  })
  @IsObject()
  connection!: Record<string, unknown>;

  @ApiPropertyOptional({ description: 'First slave id to probe (1-247, default 1)', example: 1 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(247)
  from?: number;

  @ApiPropertyOptional({ description: 'Last slave id to probe (1-247, at least `from`, default 247)', example: 247 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(247)
  to?: number;

  @ApiPropertyOptional({ description: 'What is read at each id (default: input register 0, one register)', type: ScanProbeDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => ScanProbeDto)
  probe?: ScanProbeDto;

  @ApiPropertyOptional({ description: "How long to wait for each id (50-10000 ms; default the connection's timeoutMs, else 1000)", example: 200 })
  @IsOptional()
  @IsInt()
  @Min(50)
  @Max(10_000)
  timeoutMs?: number;
}

export class ScanStartedResponse {
  @ApiProperty({ description: 'The scan job, for GET /api/lines/scan/{jobId} and its event stream', example: '0d9f6a3e-2f57-4a8e-9c1e-4c1c1d0e8b55' })
  jobId!: string;
  @ApiProperty({
    description:
      'The worst case on the wire (every id silent), e.g. "247 ids × 1000 ms timeout plus 12.0 ms on the wire at 9600 8N1: at most 4 min 10 s when none answers"',
  })
  estimate!: string;
}

export class ScanFoundResponse {
  @ApiProperty({ description: 'Slave id / unit id that answered', example: 3 })
  id!: number;
  @ApiProperty({
    description: 'registers: it sent the registers asked for; exception: it answered with a Modbus exception (a device is there all the same)',
    enum: ['registers', 'exception'],
  })
  answered!: 'registers' | 'exception';
  @ApiPropertyOptional({ description: 'The Modbus exception code, when it answered with one', example: 2 })
  exceptionCode?: number;
  @ApiProperty({ description: 'Time the probe took, in milliseconds', example: 41.8 })
  ms!: number;
}

export class ScanJobResponse {
  @ApiProperty({ description: 'The scan job', example: '0d9f6a3e-2f57-4a8e-9c1e-4c1c1d0e8b55' })
  jobId!: string;
  @ApiProperty({ description: 'running, done, cancelled or failed (see error)', enum: ['running', 'done', 'cancelled', 'failed'] })
  status!: 'running' | 'done' | 'cancelled' | 'failed';
  @ApiProperty({ description: 'Ids probed so far', example: 12 })
  scanned!: number;
  @ApiProperty({ description: 'Ids to probe in all', example: 247 })
  total!: number;
  @ApiProperty({ description: 'Devices found so far, in id order', type: [ScanFoundResponse] })
  found!: ScanFoundResponse[];
  @ApiProperty({ description: 'Estimated time left, in milliseconds (ids left × mean time per id so far)', example: 232000 })
  estimatedMsLeft!: number;
  @ApiProperty({ description: 'The worst case on the wire, as when the scan started' })
  estimate!: string;
  @ApiPropertyOptional({ description: 'Why the scan stopped, when it failed (e.g. the port could not be opened)' })
  error?: string;
}
