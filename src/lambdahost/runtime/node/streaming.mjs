// Response streaming, as AWS's Node.js runtime offers it (aws-lambda-nodejs-runtime-interface-client,
// src/ResponseStream.js, src/HttpResponseStream.js): a handler wrapped by
// awslambda.streamifyResponse gets a writable stream whose writes travel to the host as they are
// made; awslambda.HttpResponseStream.from puts a function URL's status and headers before the
// body (a JSON prelude, then eight zero bytes).

import { InvalidStreamingOperation } from './errors.mjs';

const PRELUDE_CONTENT_TYPE = 'application/vnd.awslambda.http-integration-response';
const DELIMITER = 8;

// What the handler may use of the response: the Writable's methods and properties, as AWS's
// client offers them.
const METHODS = [
  'cork',
  'destroy',
  'uncork',
  'addListener',
  'emit',
  'eventNames',
  'getMaxListeners',
  'listenerCount',
  'listeners',
  'off',
  'on',
  'once',
  'prependListener',
  'prependOnceListener',
  'rawListeners',
  'removeAllListeners',
  'removeListener',
  'setMaxListeners',
];
const READ_ONLY = [
  'writableFinished',
  'writableObjectMode',
  'writableBuffer',
  'writableEnded',
  'writableNeedDrain',
  'writableHighWaterMark',
  'writableCorked',
  'writableLength',
];

/** The handler's response stream over ``request`` (host.mjs's ResponseStream), and how to fail
 * it midway (its last frame an error). */
export function responseStream(request) {
  let written = false;
  const write = request.write.bind(request);
  const stream = Object.fromEntries(METHODS.map((method) => [method, request[method].bind(request)]));
  stream.write = (chunk, encoding, callback) => {
    if (typeof chunk !== 'string' && !Buffer.isBuffer(chunk) && chunk?.constructor !== Uint8Array) {
      chunk = JSON.stringify(chunk);
    }
    if (!written && typeof stream._onBeforeFirstWrite === 'function') {
      stream._onBeforeFirstWrite((first) => write(first));
    }
    written = true;
    return write(chunk, encoding, callback);
  };
  stream.end = (chunk, encoding, callback) => {
    if (typeof chunk === 'function') {
      return request.end(chunk);
    }
    if (chunk !== undefined && chunk !== null) {
      stream.write(chunk, typeof encoding === 'string' ? encoding : undefined);
    }
    return request.end(typeof encoding === 'function' ? encoding : callback);
  };
  stream.setContentType = (contentType) => {
    if (written) {
      throw new InvalidStreamingOperation('Cannot set content-type, too late.');
    }
    request.contentType = contentType;
  };
  for (const property of ['destroyed', 'writable']) {
    Object.defineProperty(stream, property, { get: () => request[property], set: (value) => (request[property] = value) });
  }
  for (const property of READ_ONLY) {
    Object.defineProperty(stream, property, { get: () => request[property] });
  }
  const fail = (error) => {
    request.failure = error;
    request.end();
  };
  return { stream, fail };
}

export class HttpResponseStream {
  static from(stream, prelude) {
    stream.setContentType(PRELUDE_CONTENT_TYPE);
    const metadata = JSON.stringify(prelude);
    stream._onBeforeFirstWrite = (write) => {
      write(metadata);
      write(new Uint8Array(DELIMITER));
    };
    return stream;
  }
}
