// The host, over the channel it gave this process (_LAMBDAHOST_CHANNEL_FD): lambdahost's framed
// messages (runtime/protocol.py: a header of kind, metadata length and body length, big-endian;
// the metadata as NUL-separated keys and values; the body as it is). What AWS's runtime interface
// client says over the Runtime API's HTTP, said here in frames, as lambdahost's Python runtime
// does: the same outcomes for a fraction of the cost.

import net from 'node:net';
import { Writable } from 'node:stream';
import { toRuntimeError } from './errors.mjs';

const INIT_DONE = 10;
const INIT_ERROR = 11;
const RESULT = 12;
const ERROR = 13;
const CHUNK = 14;
const INVOKE = 20;
const LOAD = 21;
const HEADER = 9;

// An invocation's metadata, as the Runtime API's headers name it (InvokeContext's names).
const HEADERS = {
  requestId: 'lambda-runtime-aws-request-id',
  deadlineMs: 'lambda-runtime-deadline-ms',
  invokedFunctionArn: 'lambda-runtime-invoked-function-arn',
  traceId: 'lambda-runtime-trace-id',
  clientContext: 'lambda-runtime-client-context',
  cognitoIdentity: 'lambda-runtime-cognito-identity',
  tenantId: 'lambda-runtime-aws-tenant-id',
};

export class Host {
  constructor(fd) {
    this.socket = new net.Socket({ fd, readable: true, writable: true });
    this.buffer = Buffer.alloc(0);
    this.waiting = null;
    this.loading = null;
    this.initialized = false;
    this.socket.on('data', (data) => this.feed(data));
    this.socket.on('end', () => process.exit(0)); // the host closed the environment
    this.socket.on('error', () => process.exit(0));
    this.socket.unref(); // (only while it waits for an invocation does the channel keep Node alive)
  }

  /** Resolves when the host says to load the handler (a runtime started ahead of need). */
  loadSignal() {
    this.socket.ref();
    return new Promise((resolve) => {
      this.loading = () => {
        this.socket.unref();
        resolve();
      };
    });
  }

  /** The next invocation: its event as JSON text and its metadata as Runtime API headers. */
  next() {
    if (!this.initialized) {
      this.initialized = true;
      this.send(INIT_DONE);
    }
    this.socket.ref();
    return new Promise((resolve) => {
      this.waiting = (meta, body) => {
        this.socket.unref(); // so that an empty event loop can still be seen (callbackWaitsForEmptyEventLoop)
        const headers = Object.fromEntries(Object.entries(meta).map(([key, value]) => [HEADERS[key] ?? key, value]));
        resolve({ body: body.toString('utf-8'), headers });
      };
    });
  }

  feed(data) {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, data]) : data;
    while (this.buffer.length >= HEADER) {
      const metaLength = this.buffer.readUInt32BE(1);
      const end = HEADER + metaLength + this.buffer.readUInt32BE(5);
      if (this.buffer.length < end) {
        return;
      }
      const kind = this.buffer[0];
      const fields = metaLength ? this.buffer.toString('utf-8', HEADER, HEADER + metaLength).split('\0') : [];
      const meta = {};
      for (let i = 0; i + 1 < fields.length; i += 2) {
        meta[fields[i]] = fields[i + 1];
      }
      const body = this.buffer.subarray(HEADER + metaLength, end);
      this.buffer = this.buffer.subarray(end);
      if (kind === LOAD && this.loading) {
        this.loading();
        this.loading = null;
      } else if (kind === INVOKE && this.waiting !== null) {
        const waiting = this.waiting;
        this.waiting = null;
        waiting(meta, Buffer.from(body));
      }
    }
  }

  /** A frame; resolves once it is written. */
  send(kind, meta = {}, body = Buffer.alloc(0)) {
    const fields = Object.entries(meta).flat();
    const metaBytes = Buffer.from(fields.join('\0'), 'utf-8');
    const header = Buffer.alloc(HEADER);
    header.writeUInt8(kind, 0);
    header.writeUInt32BE(metaBytes.length, 1);
    header.writeUInt32BE(body.length, 5);
    return new Promise((resolve) => this.socket.write(Buffer.concat([header, metaBytes, body]), resolve));
  }

  respond(body, contentType = 'application/json') {
    return this.send(RESULT, { contentType, maxRssKb: String(process.resourceUsage().maxRSS) }, Buffer.from(body));
  }

  /** An invocation's error; ``exiting``: the runtime ends after it (an unhandled rejection), so
   * the host starts a new one for the next invocation rather than hand it to this one. */
  fail(error, exiting = false) {
    const reported = toRuntimeError(error);
    const meta = { errorType: reported.errorType ?? 'Runtime.Unknown', maxRssKb: String(process.resourceUsage().maxRSS) };
    return this.send(ERROR, exiting ? { ...meta, exiting: '1' } : meta, Buffer.from(serialized(reported)));
  }

  failInit(error) {
    const reported = toRuntimeError(error);
    return this.send(INIT_ERROR, { errorType: reported.errorType ?? 'Runtime.Unknown' }, Buffer.from(serialized(reported)));
  }

  /** A streamed response: a Writable whose writes go to the host as they are made (CHUNK
   * frames), ended by the response's last frame; ``fail`` ends it in an error instead. */
  stream(contentType, highWaterMark) {
    return new ResponseStream(this, contentType, highWaterMark);
  }
}

class ResponseStream extends Writable {
  constructor(host, contentType, highWaterMark) {
    super(highWaterMark === undefined ? {} : { highWaterMark });
    this.host = host;
    this.contentType = contentType; // until the first write (streaming.mjs)
    this.failure = null; // what the handler threw, if it failed midway: the last frame says so
    this.answered = new Promise((resolve) => (this.resolveAnswered = resolve));
  }

  _write(chunk, _encoding, callback) {
    this.host.send(CHUNK, { contentType: this.contentType }, chunk).then(() => callback(), callback);
  }

  _final(callback) {
    const last = this.failure ? this.host.fail(this.failure) : this.host.respond('', this.contentType);
    last.then(() => {
      this.resolveAnswered();
      callback();
    }, callback);
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
