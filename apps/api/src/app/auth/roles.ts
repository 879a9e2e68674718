import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';

export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const roleRank = (role: Role) => ROLES.indexOf(role);

export const MIN_ROLE = 'minRole';
/**
 * The least role a route needs. Without it, reads (GET) need `viewer` and every
 * other method `operator`.
 */
export const MinRole = (role: Role) => SetMetadata(MIN_ROLE, role);

export const IS_PUBLIC = 'isPublic';
/** A route anyone may call: health, login, refresh. */
export const Public = () => applyDecorators(SetMetadata(IS_PUBLIC, true), ApiExtension('x-public', true));
