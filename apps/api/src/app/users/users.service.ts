import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { PasswordHasher } from '../auth/password-hasher';
import type { Principal } from '../auth/principal';
import { PrincipalValidity } from '../auth/principal-validity';
import { Role, roleRank } from '../auth/roles';
import { Sessions } from '../auth/sessions';
import { ClientsService } from '../clients/clients.service';
import { ConflictError, ForbiddenError, NotFoundError } from '../common/domain-errors';
import { Database } from '../database/database.service';
import { CreateUserDto, UpdateUserDto } from './dto/user.dto';
import { User } from './entities/user.entity';

type Actor = Extract<Principal, { kind: 'user' }>;

/**
 * Accounts. Staff (no client) manage everyone; a client's user manages only its
 * own client's users; nobody creates platform staff from inside a client or
 * grants a role above their own.
 */
@Injectable()
export class UsersService {
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    private readonly clients: ClientsService,
    private readonly hasher: PasswordHasher,
    private readonly sessions: Sessions,
    private readonly db: Database,
    private readonly validity: PrincipalValidity,
  ) {}

  list(actor: Actor): Promise<User[]> {
    return this.users.find({ where: actor.clientId === null ? {} : { clientId: actor.clientId }, order: { id: 'ASC' } });
  }

  async get(actor: Actor, id: number): Promise<User> {
    const user = await this.users.findOneBy({ id });
    if (!user || (actor.clientId !== null && user.clientId !== actor.clientId)) throw new NotFoundError(`User ${id} not found`);
    return user;
  }

  async create(actor: Actor, dto: CreateUserDto): Promise<User> {
    const clientId = actor.clientId ?? dto.clientId ?? null;
    this.assertMayGrant(actor, dto.role, clientId, dto.clientId);
    if (clientId !== null) await this.clients.get({ clientId: actor.clientId }, clientId);
    const email = dto.email.toLowerCase();
    if (await this.users.findOneBy({ email })) throw new ConflictError(`A user with the email ${email} already exists`);
    const passwordHash = await this.hasher.hash(dto.password);
    return this.db.transaction((m) =>
      m
        .getRepository(User)
        .save({ email, passwordHash, role: dto.role, clientId, active: true, mustChangePassword: false, createdAt: Date.now(), lastLoginAt: null }),
    );
  }

  async update(actor: Actor, id: number, dto: UpdateUserDto): Promise<User> {
    const user = await this.get(actor, id);
    if (roleRank(user.role) > roleRank(actor.role)) throw new ForbiddenError('You cannot change a user whose role is above yours');
    const clientId = dto.clientId !== undefined ? dto.clientId : user.clientId;
    this.assertMayGrant(actor, dto.role ?? user.role, clientId ?? null, dto.clientId);
    if (clientId !== null && clientId !== user.clientId) await this.clients.get({ clientId: actor.clientId }, clientId);
    const passwordHash = dto.password ? await this.hasher.hash(dto.password) : user.passwordHash;
    const updated = await this.db.transaction(async (m) => {
      const saved = await m
        .getRepository(User)
        .save({ ...user, role: dto.role ?? user.role, clientId: clientId ?? null, active: dto.active ?? user.active, passwordHash });
      // A disabled account or a password reset ends the user's sessions at once (their access tokens too).
      if (dto.active === false || dto.password) await this.sessions.endAllOf(id, m, { passwordChanged: Boolean(dto.password) });
      return saved;
    });
    this.validity.announce({ kind: 'user', userId: id });
    return updated;
  }

  async remove(actor: Actor, id: number): Promise<void> {
    const user = await this.get(actor, id);
    if (user.id === actor.userId) throw new ConflictError('You cannot delete your own account');
    if (roleRank(user.role) > roleRank(actor.role)) throw new ForbiddenError('You cannot delete a user whose role is above yours');
    await this.db.transaction(async (m) => {
      await m.query(this.db.sql('DELETE FROM refresh_tokens WHERE user_id = ?'), [id]);
      await m.query(this.db.sql('UPDATE api_keys SET created_by = NULL WHERE created_by = ?'), [id]);
      await m.getRepository(User).delete({ id });
    });
    this.validity.announce({ kind: 'user', userId: id });
  }

  private assertMayGrant(actor: Actor, role: Role, clientId: number | null, requestedClientId: number | null | undefined) {
    if (roleRank(role) > roleRank(actor.role)) throw new ForbiddenError(`You cannot grant the role ${role}, which is above your own (${actor.role})`);
    if (actor.clientId !== null && requestedClientId !== undefined && requestedClientId !== actor.clientId) {
      // A client's user naming another client (or none) gets the same answer as for a row it cannot see.
      throw requestedClientId === null
        ? new ForbiddenError('Only platform staff can create platform staff')
        : new NotFoundError(`Client ${requestedClientId} not found`);
    }
    if (clientId === null && actor.role !== 'admin') throw new ForbiddenError('Only a platform admin can create platform staff');
  }
}
