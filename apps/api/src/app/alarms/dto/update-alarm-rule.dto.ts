import { OmitType, PartialType } from '@nestjs/swagger';
import { CreateAlarmRuleDto } from './create-alarm-rule.dto';

/** A rule stays with its client; everything else may change. */
export class UpdateAlarmRuleDto extends PartialType(OmitType(CreateAlarmRuleDto, ['clientId'] as const)) {}
