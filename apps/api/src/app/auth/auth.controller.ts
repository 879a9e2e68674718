import { Body, Controller, Get, HttpCode, Ip, Patch, Post } from '@nestjs/common';
import { ApiBody, ApiNoContentResponse, ApiOkResponse, ApiTags, ApiOperation } from '@nestjs/swagger';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { ApiErrors } from '../common/api-errors.decorator';
import { BodyLimit } from '../common/request-body';
import { ForbiddenError } from '../common/domain-errors';
import { User } from '../users/entities/user.entity';
import { toSessionUser, AuthService } from './auth.service';
import { CurrentPrincipal } from './current-principal.decorator';
import { ChangePasswordDto, LoginDto, LogoutResponse, RefreshDto, SessionUser, TokenResponse } from './dto/auth.dto';
import type { Principal } from './principal';
import { MinRole, Public } from './roles';

/** Logins, refreshes and password changes are a few hundred bytes; anyone may call login, so nothing more is read. */
export const AUTH_BODY_LIMIT = 16 * 1024;

@ApiTags('auth')
@Controller('auth')
@BodyLimit(AUTH_BODY_LIMIT)
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    @InjectRepository(User) private readonly users: Repository<User>,
  ) {}

  @Public()
  @Post('login')
  @HttpCode(200)
  @ApiOkResponse({ type: TokenResponse })
  @ApiErrors(400, 401, 413, 429, 503)
  @ApiOperation({ summary: 'Log in with e-mail and password; answers an access token and a refresh token' })
  @ApiBody({
    type: LoginDto,
    examples: {
      admin: {
        summary: 'The first admin (its password is printed at the first start)',
        value: { email: 'admin@example.com', password: 'correct horse battery staple' },
      },
    },
  })
  login(@Body() dto: LoginDto, @Ip() ip: string): Promise<TokenResponse> {
    return this.auth.login(dto.email, dto.password, ip);
  }

  @Public()
  @Post('refresh')
  @HttpCode(200)
  @ApiOkResponse({ type: TokenResponse })
  @ApiErrors(400, 401, 413)
  @ApiOperation({ summary: 'Exchange a refresh token for a new access token (and a new refresh token)' })
  @ApiBody({
    type: RefreshDto,
    examples: { token: { summary: 'The refresh token from the login answer', value: { refreshToken: 'f3b0c1e2-6a7d-4c1b-9f0e-2d8a5b7c9e10.Zk3v9Qx1' } } },
  })
  refreshSession(@Body() dto: RefreshDto): Promise<TokenResponse> {
    return this.auth.refresh(dto.refreshToken);
  }

  /** Ends the session the refresh token belongs to (every token rotated from the same login): its access tokens stop working at once. */
  @Public()
  @Post('logout')
  @HttpCode(200)
  @ApiOkResponse({ type: LogoutResponse })
  @ApiErrors(400, 413)
  @ApiOperation({ summary: 'End the session of a refresh token: its tokens stop working on every instance' })
  @ApiBody({
    type: RefreshDto,
    examples: { token: { summary: 'The refresh token of the session to end', value: { refreshToken: 'f3b0c1e2-6a7d-4c1b-9f0e-2d8a5b7c9e10.Zk3v9Qx1' } } },
  })
  async logout(@Body() dto: RefreshDto): Promise<LogoutResponse> {
    return { loggedOut: await this.auth.logout(dto.refreshToken) };
  }

  @Get('me')
  @ApiOkResponse({ type: SessionUser })
  @ApiOperation({ summary: 'The logged-in user, with role and client' })
  async getMe(@CurrentPrincipal() principal: Principal): Promise<SessionUser> {
    if (principal.kind !== 'user') throw new ForbiddenError('An API key has no user account');
    return toSessionUser(await this.users.findOneByOrFail({ id: principal.userId }));
  }

  @Patch('password')
  @MinRole('viewer')
  @HttpCode(204)
  @ApiErrors(400, 413, 503)
  @ApiNoContentResponse({ description: "The password was changed; the account's other sessions ended, this one goes on" })
  @ApiOperation({ summary: 'Change your own password (ends your other sessions)' })
  @ApiBody({
    type: ChangePasswordDto,
    examples: {
      change: { summary: 'A new passphrase', value: { currentPassword: 'correct horse battery staple', newPassword: 'four random words are better' } },
    },
  })
  async changePassword(@CurrentPrincipal() principal: Principal, @Body() dto: ChangePasswordDto): Promise<void> {
    if (principal.kind !== 'user') throw new ForbiddenError('An API key has no password');
    await this.auth.changePassword(principal, dto.currentPassword, dto.newPassword);
  }
}
