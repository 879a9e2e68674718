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

/**
 * The WHERE clause of a list query, starting with the caller's scope: a client's user gets only rows
 * whose `clientColumn` is its client (staff: every row). Further conditions are added with `and`.
 */
export class ScopedWhere {
  private readonly conditions: string[] = [];
  readonly params: unknown[] = [];

  constructor(scope: ClientScope, clientColumn: string) {
    if (scope.clientId !== null) this.and(`${clientColumn} = ?`, scope.clientId);
  }

  /** Adds `condition` with the values of its `?` placeholders. */
  and(condition: string, ...values: unknown[]): this {
    this.conditions.push(condition);
    this.params.push(...values);
    return this;
  }

  /** ` WHERE a AND b`, or '' when there is no condition. */
  get sql(): string {
    return this.conditions.length ? ` WHERE ${this.conditions.join(' AND ')}` : '';
  }
}
