// console.* as AWS's Node.js runtime writes it (aws-lambda-nodejs-runtime-interface-client,
// src/LogPatch.js): one line on standard output per call, its own newlines turned into carriage
// returns so that the log keeps it whole. Text: "timestamp<TAB>requestId<TAB>LEVEL<TAB>message";
// JSON (AWS_LAMBDA_LOG_FORMAT=JSON): {timestamp, level, requestId, message}. AWS_LAMBDA_LOG_LEVEL
// drops what is below it.

import { format } from 'node:util';
import { formatted, intoError } from './errors.mjs';

const LEVELS = Object.freeze({
  TRACE: 1,
  DEBUG: 2,
  INFO: 3,
  WARN: 4,
  ERROR: 5,
  FATAL: 6,
});

let requestId; // the invocation in flight: "undefined" in the text of lines written at init, as on Lambda
let tenantId;

export function setInvocation(id, tenant) {
  requestId = id;
  tenantId = tenant;
}

function errorFields(error) {
  return {
    errorType: error?.constructor?.name ?? 'UnknownError',
    errorMessage: error.message,
    stackTrace: typeof error.stack === 'string' ? error.stack.split('\n') : error.stack,
  };
}

function jsonLine(level, message, params) {
  const line = { timestamp: new Date().toISOString(), level, requestId };
  if (tenantId !== undefined && tenantId !== null) {
    line.tenantId = tenantId;
  }
  if (params.length === 0) {
    line.message = message;
    try {
      return JSON.stringify(line, (_key, value) => (value instanceof Error ? { ...errorFields(value), ...value } : value));
    } catch {
      line.message = format(line.message);
      return JSON.stringify(line);
    }
  }
  line.message = format(message, ...params);
  const error = [message, ...params].find((param) => param instanceof Error);
  if (error !== undefined) {
    Object.assign(line, errorFields(error));
    line.stackTrace ??= [];
  }
  return JSON.stringify(line);
}

function textLine(level, message, params) {
  return `${new Date().toISOString()}\t${requestId}\t${level}\t${format(message, ...params)}`;
}

/** Replace console's methods; returns how the runtime logs an error it reports ("Invoke Error",
 * "Uncaught Exception", ...). */
export function patchConsole() {
  const json = process.env.AWS_LAMBDA_LOG_FORMAT?.toUpperCase() === 'JSON';
  const line = json ? jsonLine : textLine;
  const threshold = LEVELS[process.env.AWS_LAMBDA_LOG_LEVEL?.toUpperCase()] ?? LEVELS.TRACE;
  const writer = (level) =>
    LEVELS[level] >= threshold
      ? (message, ...params) => process.stdout.write(line(level, message, params).replace(/\n/g, '\r') + '\n')
      : () => {};
  console.trace = writer('TRACE');
  console.debug = writer('DEBUG');
  console.info = writer('INFO');
  console.log = console.info;
  console.warn = writer('WARN');
  console.error = writer('ERROR');
  console.fatal = (message, ...params) => process.stdout.write(line('FATAL', message, params).replace(/\n/g, '\r') + '\n');
  return json
    ? (_what, error) => console.error(intoError(error))
    : (what, error) => console.error(what, formatted(intoError(error)));
}
