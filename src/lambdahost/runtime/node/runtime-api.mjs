// The Runtime API (AWS_LAMBDA_RUNTIME_API) over one kept-alive connection, as AWS's runtime
// interface client uses it (aws-lambda-nodejs-runtime-interface-client, src/RAPIDClient.js).

import http from 'node:http';
import { toRuntimeError } from './errors.mjs';

const PREFIX = '/2018-06-01/runtime';
const ERROR_TYPE = 'Lambda-Runtime-Function-Error-Type';

export class RuntimeApi {
  constructor(address) {
    const [hostname, port] = address.split(':');
    // One socket, kept alive between calls, and let go of while idle: a callback handler's
    // answer waits for the event loop to empty, which an open socket would prevent.
    this.options = { hostname, port: parseInt(port, 10), agent: new http.Agent({ keepAlive: true, maxSockets: 1 }) };
  }

  /** The next invocation: its event as JSON text and its headers (lower case). */
  next() {
    return new Promise((resolve, reject) => {
      const request = http.request({ ...this.options, path: `${PREFIX}/invocation/next`, method: 'GET' }, (response) => {
        let body = '';
        response.setEncoding('utf-8');
        response.on('data', (chunk) => (body += chunk));
        response.on('end', () => resolve({ body, headers: response.headers }));
      });
      request.on('error', reject);
      request.end();
    });
  }

  respond(requestId, body) {
    return this.post(`/invocation/${encodeURIComponent(requestId)}/response`, body);
  }

  /** An invocation's error: its type travels in the body only (the header is the init error's
   * and a stream's trailer), as from AWS's client. */
  fail(requestId, error) {
    return this.post(`/invocation/${encodeURIComponent(requestId)}/error`, serialized(toRuntimeError(error)));
  }

  failInit(error) {
    const reported = toRuntimeError(error);
    return this.post('/init/error', serialized(reported), { [ERROR_TYPE]: reported.errorType });
  }

  /** A streamed response's request: written as the handler writes (chunked), its errors told in
   * trailers. */
  stream(requestId, contentType, highWaterMark) {
    const agent = new http.Agent({ keepAlive: false, maxSockets: 1 });
    if (highWaterMark !== undefined) {
      const createConnection = agent.createConnection.bind(agent);
      agent.createConnection = (options, listener) => createConnection({ ...options, highWaterMark }, listener);
    }
    return http.request({
      ...this.options,
      agent,
      path: `${PREFIX}/invocation/${encodeURIComponent(requestId)}/response`,
      method: 'POST',
      headers: {
        'Lambda-Runtime-Function-Response-Mode': 'streaming',
        Trailer: `${ERROR_TYPE}, Lambda-Runtime-Function-Error-Body`,
        'Content-Type': contentType,
        'Transfer-Encoding': 'chunked',
      },
    });
  }

  post(path, body, headers = {}) {
    return new Promise((resolve, reject) => {
      const request = http.request(
        {
          ...this.options,
          path: PREFIX + path,
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), ...headers },
        },
        (response) => {
          response.on('data', () => {});
          response.on('end', resolve);
        },
      );
      request.on('error', reject);
      request.end(body, 'utf-8');
    });
  }
}

/** A result as JSON: undefined is null; one JSON cannot express is an error of its own (an
 * Error; Runtime.JSONStringifyError from Node.js 24, as ``serializationError`` makes it). */
export function serialized(value, serializationError = Error) {
  try {
    return JSON.stringify(value === undefined ? null : value);
  } catch {
    throw new serializationError('Unable to stringify response body');
  }
}
