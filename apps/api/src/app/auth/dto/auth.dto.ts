import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsString, MaxLength, MinLength } from 'class-validator';
import { ROLES, Role } from '../roles';

export const MIN_PASSWORD_LENGTH = 10;

export class LoginDto {
  @ApiProperty({ description: 'Account email (case does not matter)', example: 'admin@example.com' })
  @IsEmail({ require_tld: false }, { message: 'email must be an email address' })
  @MaxLength(254)
  email!: string;

  @ApiProperty({ description: 'Password', example: 'correct horse battery staple' })
  @IsString()
  @MaxLength(200)
  password!: string;
}

export class RefreshDto {
  @ApiProperty({ description: 'The refresh token of the last login or refresh (each is good for one use)' })
  @IsString()
  @MaxLength(200)
  refreshToken!: string;
}

export class ChangePasswordDto {
  @ApiProperty({ description: 'The current password' })
  @IsString()
  @MaxLength(200)
  currentPassword!: string;

  @ApiProperty({ description: `The new password, at least ${MIN_PASSWORD_LENGTH} characters`, minLength: MIN_PASSWORD_LENGTH })
  @IsString()
  @MinLength(MIN_PASSWORD_LENGTH, { message: `newPassword must be at least ${MIN_PASSWORD_LENGTH} characters long` })
  @MaxLength(200)
  newPassword!: string;
}

export class SessionUser {
  @ApiProperty({ description: 'User id' }) id!: number;
  @ApiProperty({ description: 'Email' }) email!: string;
  @ApiProperty({ description: 'viewer reads; operator also writes devices, rules, acknowledgements and API keys; admin everything', enum: ROLES }) role!: Role;
  @ApiProperty({ description: 'The client the user belongs to; null for platform staff (all clients)', nullable: true, type: Number }) clientId!: number | null;
  @ApiProperty({ description: 'true until the first password change of a generated password' }) mustChangePassword!: boolean;
}

export class TokenResponse {
  @ApiProperty({ description: 'Bearer token for the Authorization header' }) accessToken!: string;
  @ApiProperty({ description: 'One-use token for POST /api/auth/refresh' }) refreshToken!: string;
  @ApiProperty({ description: 'Seconds until the access token expires' }) expiresIn!: number;
  @ApiProperty({ type: SessionUser, description: 'Who logged in' }) user!: SessionUser;
}

export class LogoutResponse {
  @ApiPropertyOptional({ description: 'true when a session was ended' }) loggedOut!: boolean;
}
