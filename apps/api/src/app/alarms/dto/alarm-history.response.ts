import { ApiProperty } from '@nestjs/swagger';
import type { AlarmTransitionKind } from '../alarm-transition';

const KINDS: AlarmTransitionKind[] = ['raised', 'cleared', 'acknowledged', 'reAlarmed', 'shelved', 'unshelved'];

/** One transition of an event, as it was recorded (the history is append-only). */
export class AlarmHistoryEntryResponse {
  @ApiProperty({ description: 'History row id (in order of recording)', example: 12 }) id!: number;
  @ApiProperty({ description: 'The event', example: 7 }) eventId!: number;
  @ApiProperty({ description: 'What happened', enum: KINDS, example: 'raised' }) kind!: AlarmTransitionKind;
  @ApiProperty({ description: 'When (ISO-8601 UTC): the reading’s time, or the clock’s for timers and operators', example: '2026-11-30T08:00:01.000Z' })
  at!: string;
  @ApiProperty({ description: 'The value at a raise or clear', nullable: true, type: Number, example: 245.5 }) value!: number | null;
  @ApiProperty({ description: 'Who did it (acknowledge, shelve, unshelve)', nullable: true, type: String, example: 'ops@plant.local' }) actor!: string | null;
  @ApiProperty({ description: 'Acknowledgement comment or shelving reason', nullable: true, type: String, example: null }) comment!: string | null;
  @ApiProperty({ description: 'Recorded but not notified (maintenance window, shelved, chattering)', example: false }) muted!: boolean;

  static fromRow(r: Record<string, unknown>): AlarmHistoryEntryResponse {
    return {
      id: Number(r['id']),
      eventId: Number(r['event_id']),
      kind: r['kind'] as AlarmTransitionKind,
      at: new Date(Number(r['at'])).toISOString(),
      value: r['value'] === null || r['value'] === undefined ? null : Number(r['value']),
      actor: (r['actor'] as string | null) ?? null,
      comment: (r['comment'] as string | null) ?? null,
      muted: r['muted'] === true || Number(r['muted']) === 1,
    };
  }
}
