import { Controller, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { StaffOnly } from '../auth/current-principal.decorator';
import { MinRole } from '../auth/roles';
import { DevService } from './dev.service';

export class DemoResponse {
  @ApiProperty({ description: 'The demo client' }) clientId!: number;
  @ApiProperty({ description: 'The demo device' }) deviceId!: number;
  @ApiProperty({ description: 'Readings stored, all with source "demo"' }) readings!: number;
}

/** Only mounted when ENABLE_DEV_ENDPOINTS=true; for the platform's admins (it creates a client). */
@ApiTags('dev')
@Controller('dev')
@MinRole('admin')
@StaffOnly()
export class DevController {
  constructor(private readonly dev: DevService) {}

  @Post('demo')
  @HttpCode(200)
  @ApiOperation({ summary: 'Create a demo client and device with 40 readings, all labelled source "demo" (never mistaken for a meter)' })
  @ApiOkResponse({ type: DemoResponse })
  createDemo(): Promise<DemoResponse> {
    return this.dev.createDemo();
  }
}
