import { Controller, Get, Redirect } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from './auth/roles';

/** Old bookmarks of /api/dashboard land on the web console. */
@ApiExcludeController()
@Public()
@Controller('dashboard')
export class DashboardController {
  @Get()
  @Redirect('/', 302)
  openDashboard(): void {
    return;
  }
}
