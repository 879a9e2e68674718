import type { components, operations } from './generated/schema';

/** The API's operations by name (the NestJS controller method names). */
export type OperationId = keyof operations;

type JsonOf<R> = R extends { content: { 'application/json': infer T } } ? T : never;
type SuccessOf<Op> = Op extends { responses: infer R } ? (R extends { 200: infer A } ? JsonOf<A> : R extends { 201: infer B } ? JsonOf<B> : never) : never;

/** The success body of an operation, as the OpenAPI document declares it; `void` for 204 and undocumented bodies. */
export type ApiResponse<K extends OperationId> = [SuccessOf<operations[K]>] extends [never] ? void : SuccessOf<operations[K]>;

/** A schema of the document by name, e.g. `ApiSchema<'DeviceResponse'>`. */
export type ApiSchema<N extends keyof components['schemas']> = components['schemas'][N];

/**
 * A `reading` event of the live stream (GET /api/live). Server-sent events have no schema in OpenAPI, but an event
 * carries what a manual read returns, without the read time.
 */
export type LiveReading = Omit<ApiSchema<'PollResultResponse'>, 'durationMs'>;

type Part<T, Key extends string> = [NonNullable<T>] extends [never] ? unknown : undefined extends T ? { [P in Key]?: NonNullable<T> } : { [P in Key]: T };

type ParamsOf<K extends OperationId> = operations[K] extends { parameters: infer P } ? P : never;
type PathOf<K extends OperationId> = ParamsOf<K> extends { path?: infer X } ? X : never;
type QueryOf<K extends OperationId> = ParamsOf<K> extends { query?: infer X } ? X : never;
type BodyOf<K extends OperationId> = operations[K] extends { requestBody?: infer B } ? JsonOf<NonNullable<B>> : never;

/** What a call needs: `path` parameters, `query` parameters and the JSON `body`, each only when the operation has them. */
export type ApiRequest<K extends OperationId> = Part<PathOf<K>, 'path'> & Part<QueryOf<K>, 'query'> & Part<BodyOf<K>, 'body'>;

/** Request body of an operation, e.g. `ApiBody<'createDevice'>`. */
export type ApiBody<K extends OperationId> = BodyOf<K>;
/** Query parameters of an operation, e.g. `ApiQuery<'getSeries'>`. */
export type ApiQuery<K extends OperationId> = NonNullable<QueryOf<K>>;
