import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
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
  async listUsers(@CurrentPrincipal() p: Principal): Promise<UserResponse[]> {
    return (await this.users.list(asUser(p))).map(UserResponse.from);
  }

  @Post()
  @ApiErrors(400, 404, 409)
  @ApiCreatedResponse({ type: UserResponse, description: 'The new user' })
  async createUser(@CurrentPrincipal() p: Principal, @Body() dto: CreateUserDto): Promise<UserResponse> {
    return UserResponse.from(await this.users.create(asUser(p), dto));
  }

  @Get(':id')
  @ApiErrors(400, 404)
  @ApiOkResponse({ type: UserResponse, description: 'The user' })
  async getUser(@CurrentPrincipal() p: Principal, @Param('id', IdParam()) id: number): Promise<UserResponse> {
    return UserResponse.from(await this.users.get(asUser(p), id));
  }

  @Patch(':id')
  @ApiErrors(400, 404)
  @ApiOkResponse({ type: UserResponse, description: 'The user after the change' })
  async updateUser(@CurrentPrincipal() p: Principal, @Param('id', IdParam()) id: number, @Body() dto: UpdateUserDto): Promise<UserResponse> {
    return UserResponse.from(await this.users.update(asUser(p), id, dto));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiErrors(400, 404, 409)
  @ApiNoContentResponse({ description: 'The user was deleted' })
  async deleteUser(@CurrentPrincipal() p: Principal, @Param('id', IdParam()) id: number): Promise<void> {
    await this.users.remove(asUser(p), id);
  }
}
