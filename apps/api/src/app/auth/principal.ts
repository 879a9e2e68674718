import type { ApiKeyScope } from '../api-keys/entities/api-key.entity';
import type { Role } from './roles';

/** Who is calling: a logged-in user, or a machine with an API key. */
export type Principal =
  | { kind: 'user'; userId: number; email: string; role: Role; clientId: number | null; sessionId: string }
  | { kind: 'apiKey'; keyId: number; scope: ApiKeyScope; clientId: number };

/** Who gave a command, as the audit trail names them: `user 3 (ops@plant.local)` or `API key 7`. */
export const describeActor = (p: Principal): string => (p.kind === 'user' ? `user ${p.userId} (${p.email})` : `API key ${p.keyId}`);
