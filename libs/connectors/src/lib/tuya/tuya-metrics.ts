import { TUYA_DATA_POINTS, type TuyaDataPoint } from '../config/device-config';
import { applyScale } from '../modbus/register-codec';
import type { MetricValues } from '../drivers/meter-driver';
import type { TuyaDataPointValue } from './tuya-client';

/** Maps an energy plug's data points to metrics: value = raw x scale (canonical units). */
export function mapTuyaStatus(status: readonly TuyaDataPointValue[], scales: Readonly<Record<TuyaDataPoint, number>>): MetricValues {
  const metrics: MetricValues = {};
  for (const point of status) {
    if (!(point.code in TUYA_DATA_POINTS)) continue;
    const code = point.code as TuyaDataPoint;
    const raw = typeof point.value === 'number' ? point.value : typeof point.value === 'string' ? Number(point.value) : NaN;
    if (!Number.isFinite(raw)) continue;
    metrics[TUYA_DATA_POINTS[code]] = applyScale(raw, scales[code]);
  }
  return metrics;
}
