import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import type { OutboundTarget } from '@pieng/connectors';

export interface OutboundResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Answers bigger than this are cut: only the status and the start of an error matter. */
const MAX_BODY = 16 * 1024;

/**
 * POSTs to a target checked by OutboundTargets, connecting to the address that was checked rather
 * than resolving the name again: a name that resolved to a public address for the check cannot
 * resolve to 127.0.0.1 for the connection (DNS rebinding). TLS still verifies the certificate
 * against the URL's host name. Redirects are not followed (a 3xx is an answer like any other).
 */
export function postToTarget(target: OutboundTarget, headers: Record<string, string>, body: string, timeoutMs: number): Promise<OutboundResponse> {
  const family = isIP(target.address) === 6 ? 6 : 4;
  const lookup = ((_host: string, options: { all?: boolean }, done: (...args: unknown[]) => void) => {
    if (options?.all) done(null, [{ address: target.address, family }]);
    else done(null, target.address, family);
  }) as unknown as LookupFunction;
  const url = target.url;
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, lookup, timeout: timeoutMs },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (text.length < MAX_BODY) text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text.slice(0, MAX_BODY) }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}
