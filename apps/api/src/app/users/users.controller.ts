import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags, ApiOperation } from '@nestjs/swagger';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import type { Principal } from '../auth/principal';
import { MinRole } from '../auth/roles';
import { ApiErrors } from '../common/api-errors.decorator';
import { ForbiddenError } from '../common/domain-errors';
import { IdParam } from '../common/id-param';
import { CreateUserDto, UpdateUserDto, UserResponse } from './dto/user.dto';
import { UsersService } from './users.service';

const asUser = (p: Principal) => {
  if (p.kind !== 'user') throw new ForbiddenError('Only people manage accounts; API keys cannot');
  return p;
};

@ApiTags('users')
@Controller('users')
@MinRole('operator')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get()
  @ApiOkResponse({ type: [UserResponse], description: 'The users the caller may see' })
  @ApiOperation({ summary: "List the users you may manage (platform staff: all; a client admin: the client's)" })
  async listUsers(@CurrentPrincipal() p: Principal): Promise<UserResponse[]> {
    return (await this.users.list(asUser(p))).map(UserResponse.from);
  }

  @Post()
  @ApiErrors(400, 404, 409)
  @ApiCreatedResponse({ type: UserResponse, description: 'The new user' })
  @ApiOperation({ summary: 'Create a user with a role, in a client or as platform staff' })
  @ApiBody({
    type: CreateUserDto,
    examples: {
      viewer: { summary: 'A viewer of client 1', value: { email: 'maria@example.com', password: 'a long passphrase here', role: 'viewer', clientId: 1 } },
      staff: {
        summary: 'An operator on the platform staff (sees every client)',
        value: { email: 'ops@example.com', password: 'another long passphrase', role: 'operator', clientId: null },
      },
    },
  })
  async createUser(@CurrentPrincipal() p: Principal, @Body() dto: CreateUserDto): Promise<UserResponse> {
    return UserResponse.from(await this.users.create(asUser(p), dto));
  }

  @Get(':id')
  @ApiErrors(400, 404)
  @ApiOkResponse({ type: UserResponse, description: 'The user' })
  @ApiOperation({ summary: 'One user' })
  async getUser(@CurrentPrincipal() p: Principal, @Param('id', IdParam()) id: number): Promise<UserResponse> {
    return UserResponse.from(await this.users.get(asUser(p), id));
  }

  @Patch(':id')
  @ApiErrors(400, 404)
  @ApiOkResponse({ type: UserResponse, description: 'The user after the change' })
  @ApiOperation({ summary: "Change a user's role, client or password, or disable the account" })
  @ApiBody({
    type: UpdateUserDto,
    examples: {
      promote: { summary: 'Make a viewer an operator', value: { role: 'operator' } },
      disable: { summary: 'Disable an account (its sessions end at once)', value: { active: false } },
    },
  })
  async updateUser(@CurrentPrincipal() p: Principal, @Param('id', IdParam()) id: number, @Body() dto: UpdateUserDto): Promise<UserResponse> {
    return UserResponse.from(await this.users.update(asUser(p), id, dto));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiErrors(400, 404, 409)
  @ApiNoContentResponse({ description: 'The user was deleted' })
  @ApiOperation({ summary: 'Delete a user (their sessions end at once)' })
  async deleteUser(@CurrentPrincipal() p: Principal, @Param('id', IdParam()) id: number): Promise<void> {
    await this.users.remove(asUser(p), id);
  }
}
