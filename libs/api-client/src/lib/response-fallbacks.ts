/**
 * Stop-gap response shapes, mirrored from apps/api/src/app/** /dto/*.response.ts.
 *
 * Why by hand: the API's controllers do not declare their 2xx bodies to Swagger yet (no `@ApiOkResponse` and no
 * `@nestjs/swagger` CLI plugin), so the OpenAPI document has no response schemas. `ApiResponse<K>` uses these only
 * while the document says nothing; once the API documents a response, the generated type takes over automatically
 * and the entry here can be deleted.
 */
import type { AlarmOperator, DeviceStatus, DeviceType, ReadingSource } from '@pieng/shared';

export interface ClientResponse {
  id: number;
  name: string;
  externalId: string | null;
  createdAt: string;
}

export interface DeviceResponse {
  id: number;
  uid: string;
  clientId: number;
  name: string;
  deviceType: DeviceType;
  active: boolean;
  pollIntervalSec: number;
  /** Driver settings with secrets removed. */
  config: Record<string, unknown>;
  status: DeviceStatus;
  lastSeenAt: string | null;
  lastError: string | null;
  consecutiveFailures: number;
  createdAt: string;
  lineWarning?: string | null;
}

export interface MeasurementItem {
  deviceId: number;
  metric: string;
  ts: string;
  value: number;
  source: string;
}

export interface MeasurementPage {
  items: MeasurementItem[];
  nextCursor: string | null;
}

export interface SeriesPoint {
  t: string;
  avg: number;
  min: number;
  max: number;
  count: number;
}

export interface MetricSeries {
  metric: string;
  unit: string;
  points: SeriesPoint[];
}

export interface SeriesResponse {
  from: string;
  to: string;
  bucketMs: number;
  series: MetricSeries[];
}

export interface SixSigmaResponse {
  mean: number | null;
  std: number | null;
  lsl: number | null;
  usl: number | null;
  cp: number | null;
  cpk: number | null;
  defaultLimits: boolean;
}

export interface SummaryResponse {
  count: number;
  mean: number | null;
  std: number | null;
  min: number | null;
  max: number | null;
  sixSigma: SixSigmaResponse;
}

export interface LinregResponse {
  n: number;
  slope: number;
  intercept: number;
  r2: number;
}

export interface AlarmRuleResponse {
  id: number;
  clientId: number;
  deviceId: number | null;
  name: string;
  metric: string;
  operator: AlarmOperator;
  threshold: number;
  enabled: boolean;
  createdAt: string;
}

export interface AlarmEventResponse {
  id: number;
  ruleId: number;
  ruleName: string;
  deviceId: number;
  metric: string;
  value: number;
  raisedAt: string;
  clearedAt: string | null;
  active: boolean;
  acknowledged: boolean;
  acknowledgedAt: string | null;
  details: string | null;
}

export interface PollResultResponse {
  deviceId: number;
  ts: string;
  source: ReadingSource;
  durationMs: number;
  metrics: Record<string, number>;
}

export interface HealthResponse {
  status: string;
  [detail: string]: unknown;
}

export type UserRole = 'admin' | 'operator' | 'viewer';

export interface AuthUser {
  id: number;
  email: string;
  role: UserRole;
  clientId: number | null;
}

export interface AuthTokens {
  accessToken: string;
  refreshToken: string;
  /** Seconds until the access token expires. */
  expiresIn: number;
  user: AuthUser;
}

/** A `reading` event of the live stream (GET /api/live). */
export interface LiveReading {
  deviceId: number;
  ts: string;
  source: ReadingSource;
  metrics: Record<string, number>;
}

/** Success bodies by operationId, used while the OpenAPI document declares none. */
export interface ResponseFallbacks {
  getHealth: HealthResponse;
  listClients: ClientResponse[];
  createClient: ClientResponse;
  getClient: ClientResponse;
  updateClient: ClientResponse;
  listDevices: DeviceResponse[];
  createDevice: DeviceResponse;
  getDevice: DeviceResponse;
  updateDevice: DeviceResponse;
  pollDevice: PollResultResponse;
  listMeasurements: MeasurementPage;
  getSeries: SeriesResponse;
  getSummary: SummaryResponse;
  getLinearRegression: LinregResponse;
  listAlarmRules: AlarmRuleResponse[];
  createAlarmRule: AlarmRuleResponse;
  updateAlarmRule: AlarmRuleResponse;
  listAlarmEvents: AlarmEventResponse[];
  acknowledgeAlarmEvent: AlarmEventResponse;
  login: AuthTokens;
  refresh: AuthTokens;
  me: AuthUser;
}
