import { ApiProperty } from '@nestjs/swagger';

/** Where forwarding to the next instance stands. Times are ISO-8601 UTC. */
export class ForwardingStatusResponse {
  @ApiProperty({ description: 'Forwarding is on (ENABLE_FORWARDING) and has a target (FORWARDER_URL)' })
  enabled!: boolean;

  @ApiProperty({
    description: 'Where readings are sent (FORWARDER_URL + /api/ingest); null when there is no target',
    type: String,
    nullable: true,
    example: 'http://slave.example:3000/api/ingest',
  })
  target!: string | null;

  @ApiProperty({ description: 'Readings in the outbox waiting to be sent (dead letters not included)' })
  pending!: number;

  @ApiProperty({ description: 'When the oldest pending reading was queued; null when nothing is pending', type: String, format: 'date-time', nullable: true })
  oldestPendingAt!: string | null;

  @ApiProperty({
    description: 'Seconds since the oldest pending reading was queued (how far the next instance is behind); null when nothing is pending',
    type: Number,
    nullable: true,
  })
  oldestPendingAgeSec!: number | null;

  @ApiProperty({ description: 'Last time the next instance accepted a batch (since this process started)', type: String, format: 'date-time', nullable: true })
  lastSuccessAt!: string | null;

  @ApiProperty({ description: 'Last time a batch was sent (since this process started)', type: String, format: 'date-time', nullable: true })
  lastAttemptAt!: string | null;

  @ApiProperty({
    description: 'The last failure (network, timeout or refusal), kept after later successes; null when none since start',
    type: String,
    nullable: true,
  })
  lastError!: string | null;

  @ApiProperty({ description: 'When the last failure happened', type: String, format: 'date-time', nullable: true })
  lastErrorAt!: string | null;

  @ApiProperty({ description: 'Failed attempts in a row; 0 while forwarding works' })
  consecutiveFailures!: number;

  @ApiProperty({ description: 'When the next retry is due, while backing off after failures', type: String, format: 'date-time', nullable: true })
  nextAttemptAt!: string | null;

  @ApiProperty({
    description: 'Readings the next instance refused for good (400/404/409/413/422): kept, not sent again until POST /api/forwarding/dead-letters/retry',
  })
  deadLettered!: number;

  @ApiProperty({ description: 'Why the most recent dead letter was refused', type: String, nullable: true })
  lastDeadLetterError!: string | null;

  @ApiProperty({ description: 'Estimated size of the outbox in bytes (its readings as JSON plus a fixed overhead per row)' })
  outboxBytes!: number;

  @ApiProperty({ description: 'Bound of the outbox in bytes (FORWARDER_MAX_OUTBOX_MB)' })
  outboxMaxBytes!: number;

  @ApiProperty({
    description:
      'The outbox reached its bound: new readings are still stored here but wait in the measurements table, to be queued once the outbox has drained to half its bound. Nothing is dropped.',
  })
  full!: boolean;

  @ApiProperty({ description: 'Devices with readings waiting in the measurements table because the outbox was full' })
  overflowDevices!: number;

  @ApiProperty({ description: 'Readings forwarded since this process started' })
  forwardedSinceStart!: number;

  @ApiProperty({
    description:
      'The instance that sends the outbox now (holder of the forwarder lease: with several instances on one database only one sends); null when forwarding is off or no instance holds it',
    type: String,
    nullable: true,
    example: 'Pieng Medidor Master @ plant-1 pid 4242 (3f1c9a4e-6d0b-4c1e-9a52-2b8e7f0c1d2a)',
  })
  leaseOwner!: string | null;

  @ApiProperty({ description: 'This instance is the one sending the outbox (it holds the forwarder lease)' })
  sendingHere!: boolean;
}

export class RetryDeadLettersResponse {
  @ApiProperty({ description: 'Dead-lettered readings put back in the queue (they keep their place, oldest first)' })
  requeued!: number;
}
