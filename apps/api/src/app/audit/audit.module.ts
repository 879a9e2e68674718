import { Global, Module } from '@nestjs/common';
import { AuditOutbox } from './audit-outbox';
import { AuditTrailService } from './audit-trail.service';

@Global()
@Module({ providers: [AuditTrailService, AuditOutbox], exports: [AuditTrailService] })
export class AuditModule {}
