import { parseArgs } from 'node:util';
import { METER_MODELS, startSimulator, startTuyaCloud, type MeterModel, type SimulatedLine, type SimulatorMeterSpec } from '@pieng/simulator';

const USAGE = `Pieng Medidor meter simulator: simulated meters speaking real Modbus.

Usage: node dist/apps/simulator/main.js --meter <model[:slaveId]> [--meter ...] [links] [options]

Meters (repeat for several slave ids on one line): ${METER_MODELS.join(', ')}
  e.g. --meter pzem004t:1 --meter sdm630:2

Links (at least one):
  --tcp <port>        Modbus TCP (MBAP); 0 picks a free port
  --rtu-tcp <port>    raw RTU frames over TCP, like a transparent serial gateway
  --serial <path>     a serial device, e.g. one end of a socat pty pair
  --tuya <port>       a Tuya-compatible cloud (checks signatures) serving --tuya-devices plugs
Options:
  --host <ip>         listen address (default 127.0.0.1)
  --deterministic     fixed values instead of smoothly varying ones
  --reply-delay <ms>  meter processing time before each reply (default 0)
  --baud <rate>       RTU links (serial, rtu-tcp) take their wire time at this baud rate: each reply
                      leaves after request + t3.5 + reply would have taken on a real line
  --framing <8N1>     data bits, parity (N/E/O) and stop bits of that line (default 8N1; 8N2 for a PZEM-017)
  --silent <id>       slave id that never answers (repeatable)
  --exception <id:code>  slave id that answers every request with this exception code
  --bad-crc <id>      slave id whose replies carry a corrupt CRC
  --chunk <bytes:ms>  RTU replies (serial, rtu-tcp) in pieces of <bytes> with <ms> between them,
                      as a USB-RS485 adapter delivers them (e.g. 8:16)
  --tuya-id <id> --tuya-secret <secret>  credentials the Tuya cloud accepts (default pieng-sim / pieng-sim-secret)
  --tuya-devices <a,b>  plug ids (default sim-plug-1,sim-plug-2)
  --verbose           log every frame
`;

export function parseMeters(specs: string[]): SimulatorMeterSpec[] {
  return specs.map((spec, index) => {
    const [model, id] = spec.split(':');
    if (!(METER_MODELS as readonly string[]).includes(model)) {
      throw new Error(`unknown meter model "${model}" (one of ${METER_MODELS.join(', ')})`);
    }
    const slaveId = id === undefined ? index + 1 : Number(id);
    if (!Number.isInteger(slaveId) || slaveId < 1 || slaveId > 247) throw new Error(`slave id in "${spec}" must be 1..247`);
    return { model: model as MeterModel, slaveId };
  });
}

/** --baud 9600 --framing 8N2 -> the simulated line's settings. */
export function parseLine(baud: string, framing = '8N1'): SimulatedLine {
  const baudRate = Number(baud);
  if (!Number.isInteger(baudRate) || baudRate < 300 || baudRate > 4_000_000) throw new Error(`--baud needs a baud rate such as 9600, got "${baud}"`);
  const match = /^([78])([NEO])([12])$/i.exec(framing);
  if (!match) throw new Error(`--framing needs data bits, parity and stop bits such as 8N1 or 8N2, got "${framing}"`);
  const parity = ({ N: 'none', E: 'even', O: 'odd' } as const)[match[2].toUpperCase() as 'N' | 'E' | 'O'];
  return { baudRate, dataBits: Number(match[1]) as 7 | 8, parity, stopBits: Number(match[3]) as 1 | 2 };
}

function portArg(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--${name} needs a port number, got "${value}"`);
  return port;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      meter: { type: 'string', multiple: true },
      tcp: { type: 'string' },
      'rtu-tcp': { type: 'string' },
      serial: { type: 'string' },
      host: { type: 'string' },
      deterministic: { type: 'boolean' },
      'reply-delay': { type: 'string' },
      baud: { type: 'string' },
      framing: { type: 'string' },
      silent: { type: 'string', multiple: true },
      exception: { type: 'string', multiple: true },
      'bad-crc': { type: 'string', multiple: true },
      chunk: { type: 'string' },
      tuya: { type: 'string' },
      'tuya-id': { type: 'string' },
      'tuya-secret': { type: 'string' },
      'tuya-devices': { type: 'string' },
      verbose: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const tuyaPort = portArg(values.tuya, 'tuya');
  if (values.help || (!values.meter?.length && tuyaPort === undefined)) {
    process.stdout.write(USAGE);
    process.exitCode = values.help ? 0 : 2;
    return;
  }
  const tcpPort = portArg(values.tcp, 'tcp');
  const rtuTcpPort = portArg(values['rtu-tcp'], 'rtu-tcp');
  const closers: Array<() => Promise<void>> = [];
  if (tuyaPort !== undefined) {
    const accessId = values['tuya-id'] ?? 'pieng-sim';
    const deviceIds = (values['tuya-devices'] ?? 'sim-plug-1,sim-plug-2').split(',').filter(Boolean);
    const cloud = await startTuyaCloud({ port: tuyaPort, host: values.host, accessId, accessSecret: values['tuya-secret'] ?? 'pieng-sim-secret', deviceIds });
    closers.push(() => cloud.close());
    console.log(`Tuya-compatible cloud on http://${values.host ?? '127.0.0.1'}:${cloud.port} (access id ${accessId}; plugs ${deviceIds.join(', ')})`);
  }
  const stop = () => {
    void Promise.all(closers.map((close) => close())).then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  if (!values.meter?.length) return;
  if (tcpPort === undefined && rtuTcpPort === undefined && !values.serial) throw new Error('give at least one of --tcp, --rtu-tcp, --serial');
  const simulator = await startSimulator({
    meters: parseMeters(values.meter),
    host: values.host,
    tcpPort,
    rtuTcpPort,
    serialPath: values.serial,
    deterministic: values.deterministic,
    replyDelayMs: values['reply-delay'] ? Number(values['reply-delay']) : undefined,
    line: values.baud ? parseLine(values.baud, values.framing) : undefined,
    log: values.verbose ? (line) => console.log(line) : undefined,
  });
  for (const id of values.silent ?? []) simulator.setSilent(Number(id), true);
  for (const spec of values.exception ?? []) {
    const [id, code] = spec.split(':').map(Number);
    simulator.setFault(id, { kind: 'exception', code: code || 4 });
  }
  for (const id of values['bad-crc'] ?? []) simulator.setFault(Number(id), { kind: 'bad-crc' });
  if (values.chunk) {
    const [bytes, gapMs = 0] = values.chunk.split(':').map(Number);
    try {
      simulator.setLineChunking({ bytes, gapMs });
    } catch {
      await simulator.close();
      throw new Error(`--chunk needs <bytes:ms>, e.g. 8:16, got "${values.chunk}"`);
    }
  }
  const meters = values.meter.join(', ');
  if (simulator.tcpPort !== undefined) console.log(`Modbus TCP on ${simulator.host}:${simulator.tcpPort} (${meters})`);
  if (simulator.rtuTcpPort !== undefined) console.log(`RTU over TCP on ${simulator.host}:${simulator.rtuTcpPort} (${meters})`);
  if (simulator.serialPath) console.log(`Modbus RTU on ${simulator.serialPath} (${meters})`);
  closers.push(() => simulator.close());
}

if (require.main === module) {
  main().catch((error: Error) => {
    console.error(`simulator: ${error.message}`);
    process.exit(1);
  });
}
