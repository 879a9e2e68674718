/**
 * Whose rows a caller may see. Platform staff (and, until login exists, every
 * caller) see all clients; a client's own user sees one. Services apply it in
 * their queries, so a row of another client is simply not found.
 */
export interface ClientScope {
  clientId: number | null;
}

export const ALL_CLIENTS: ClientScope = { clientId: null };

export function inScope(scope: ClientScope, clientId: number): boolean {
  return scope.clientId === null || scope.clientId === clientId;
}
