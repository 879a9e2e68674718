import type { SerialLineSettings } from '../config/device-config';
import { rtuReadFrameBytes } from '../drivers/meter-driver';
import type { ReadRequest } from '../modbus/read-planner';
import { transactionWireTimeMs } from '../transport/line-timing';

export interface ScheduledLineDevice {
  id: string;
  /** Configured poll interval. */
  pollIntervalMs: number;
  /** The driver's requests (MeterDriver.requests). */
  requests: readonly ReadRequest[];
}

export interface LineDeviceTiming {
  id: string;
  /** Wire time of one reading of this device. */
  wireMs: number;
  pollIntervalMs: number;
}

export interface LineScheduleReport {
  /** Wire time to read every device on the line once. */
  cycleWireMs: number;
  /**
   * Fraction of the line's time the configured intervals need (sum of wireMs / interval).
   * Above 1 the line cannot keep up; above about 0.8 replies that need a retry will pile up.
   */
  utilisation: number;
  fits: boolean;
  devices: LineDeviceTiming[];
  /** Devices whose interval is shorter than one full cycle of the line. */
  tooFast: string[];
  /** Plain-English explanation when it does not fit (for the device status). */
  message?: string;
}

function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`;
}

/**
 * Wire time of the devices sharing one serial line (or RTU gateway), and whether the
 * configured poll intervals fit. Only one transaction can be on an RS485 line at a time,
 * so N meters cannot be read faster than the sum of their transaction times.
 */
export function planLineSchedule(line: SerialLineSettings, devices: readonly ScheduledLineDevice[], lineLabel = 'this line'): LineScheduleReport {
  const timings = devices.map((device) => ({
    id: device.id,
    pollIntervalMs: device.pollIntervalMs,
    wireMs: device.requests.reduce((sum, request) => {
      const { requestBytes, replyBytes } = rtuReadFrameBytes(request);
      return sum + transactionWireTimeMs(line, requestBytes, replyBytes);
    }, 0),
  }));
  const cycleWireMs = timings.reduce((sum, t) => sum + t.wireMs, 0);
  const utilisation = timings.reduce((sum, t) => sum + (t.pollIntervalMs > 0 ? t.wireMs / t.pollIntervalMs : Infinity), 0);
  const tooFast = timings.filter((t) => t.pollIntervalMs < cycleWireMs).map((t) => t.id);
  const fits = utilisation <= 1 && tooFast.length === 0;
  const report: LineScheduleReport = { cycleWireMs, utilisation, fits, devices: timings, tooFast };
  if (!fits) {
    const settings = `${line.baudRate} baud`;
    report.message =
      `${devices.length} meter${devices.length === 1 ? '' : 's'} on ${lineLabel} need at least ${formatMs(cycleWireMs)} ` +
      `of wire time per round at ${settings}; the configured poll intervals ask for ${Math.round(utilisation * 100)}% of the line. ` +
      `Lengthen the poll intervals${tooFast.length ? ` (shortest possible: ${formatMs(cycleWireMs)})` : ''} or split the meters over more lines.`;
  }
  return report;
}
