import { ApiProperty, ApiPropertyOptional, PartialType, OmitType } from '@nestjs/swagger';
import { IsBoolean, IsEmail, IsIn, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import { MIN_PASSWORD_LENGTH } from '../../auth/dto/auth.dto';
import { ROLES, Role } from '../../auth/roles';
import type { User } from '../entities/user.entity';
import { IsRowId } from '../../common/id-param';

export class CreateUserDto {
  @ApiProperty({ description: 'Email, unique whatever the case', example: 'maria@example.com' })
  @IsEmail({ require_tld: false }, { message: 'email must be an email address' })
  @MaxLength(254)
  email!: string;

  @ApiProperty({ description: `Initial password, at least ${MIN_PASSWORD_LENGTH} characters` })
  @IsString()
  @MinLength(MIN_PASSWORD_LENGTH, { message: `password must be at least ${MIN_PASSWORD_LENGTH} characters long` })
  @MaxLength(200)
  password!: string;

  @ApiProperty({
    description: 'viewer reads; operator also writes devices, rules, acknowledgements and API keys; admin everything. Nobody grants a role above their own.',
    enum: ROLES,
  })
  @IsIn(ROLES)
  role!: Role;

  @ApiPropertyOptional({
    description: "The client the user belongs to; omit (null) for platform staff. A client's operator creates users of its own client only.",
    nullable: true,
    type: Number,
  })
  @IsOptional()
  @IsRowId()
  clientId?: number | null;
}

export class UpdateUserDto extends PartialType(OmitType(CreateUserDto, ['email'] as const)) {
  @ApiPropertyOptional({ description: 'Disabled users cannot log in; their tokens stop working at once' })
  @IsOptional()
  @IsBoolean()
  active?: boolean;
}

export class UserResponse {
  @ApiProperty({ description: 'User id' }) id!: number;
  @ApiProperty({ description: 'Email' }) email!: string;
  @ApiProperty({ description: 'Role', enum: ROLES }) role!: Role;
  @ApiProperty({ description: 'Client, or null for platform staff', nullable: true, type: Number }) clientId!: number | null;
  @ApiProperty({ description: 'Whether the user may log in' }) active!: boolean;
  @ApiProperty({ description: 'Creation time' }) createdAt!: string;
  @ApiProperty({ description: 'Last successful login', nullable: true, type: String }) lastLoginAt!: string | null;

  static from(u: User): UserResponse {
    return {
      id: u.id,
      email: u.email,
      role: u.role,
      clientId: u.clientId,
      active: u.active,
      createdAt: new Date(u.createdAt).toISOString(),
      lastLoginAt: u.lastLoginAt === null ? null : new Date(u.lastLoginAt).toISOString(),
    };
  }
}
