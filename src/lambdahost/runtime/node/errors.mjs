// Errors as AWS's Node.js runtime reports them (aws-lambda-nodejs-runtime-interface-client,
// src/Errors.js): the runtime's own are named Runtime.*, and any thrown value becomes
// {errorType, errorMessage, trace} for the Runtime API.

import { types } from 'node:util';

class RuntimeError extends Error {}

export class ImportModuleError extends RuntimeError {}
export class HandlerNotFound extends RuntimeError {}
export class MalformedHandlerName extends RuntimeError {}
export class UserCodeSyntaxError extends RuntimeError {}
export class MalformedStreamingHandler extends RuntimeError {}
export class InvalidStreamingOperation extends RuntimeError {}
export class JSONStringifyError extends RuntimeError {}

// Lambda's Node.js 24 and later (the runtime interface client's version 4,
// src/context/constants.ts) refuse callback handlers.
export class CallbackHandlerDeprecated extends RuntimeError {
  constructor() {
    super(
      'ERROR: AWS Lambda has removed support for callback-based function handlers starting with Node.js 24. You ' +
        'need to modify this function to use a supported handler signature to use Node.js 24 or later. For more ' +
        'information see https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html.',
    );
  }
}

export class NodeJsExit extends RuntimeError {
  constructor() {
    super(
      'The Lambda runtime client detected an unexpected Node.js exit code. This is most commonly caused by a ' +
        'Promise that was never settled. For more information, see ' +
        'https://nodejs.org/docs/latest/api/process.html#exit-codes',
    );
  }
}

export class UnhandledPromiseRejection extends RuntimeError {
  constructor(reason, promise) {
    super(reason);
    this.reason = reason;
    this.promise = promise;
  }
}

for (const kind of [
  ImportModuleError,
  HandlerNotFound,
  MalformedHandlerName,
  UserCodeSyntaxError,
  MalformedStreamingHandler,
  InvalidStreamingOperation,
  JSONStringifyError,
  CallbackHandlerDeprecated,
  NodeJsExit,
  UnhandledPromiseRejection,
]) {
  kind.prototype.name = `Runtime.${kind.name}`;
}

function looksLikeError(value) {
  return (
    value &&
    typeof value.name === 'string' &&
    typeof value.message === 'string' &&
    typeof value.stack === 'string' &&
    value.name &&
    value.message &&
    value.stack
  );
}

/** What the Runtime API is told of a thrown value: an Error's name, message and stack lines;
 * anything else by its type (``callback('boom')`` is an errorType "string"). */
export function toRuntimeError(error) {
  const escape = (text) => text?.replaceAll('\x7F', '%7F');
  try {
    if (types.isNativeError(error) || looksLikeError(error)) {
      return {
        errorType: escape(error.name),
        errorMessage: escape(error.message),
        trace: escape(error.stack).split('\n'),
      };
    }
    return { errorType: typeof error, errorMessage: error.toString(), trace: [] };
  } catch {
    return {
      errorType: 'handled',
      errorMessage:
        'callback called with Error argument, but there was a problem while retrieving one or more of its message, ' +
        'name, and stack',
    };
  }
}

export function intoError(value) {
  return value instanceof Error ? value : new Error(value);
}

/** An error as the text log shows it after "Invoke Error": a tab, then its JSON with its own
 * enumerable properties and its stack as lines. */
export function formatted(error) {
  const withProperties = (value) => {
    if (!(value instanceof Error)) {
      return value;
    }
    const shown = { errorType: value.name, errorMessage: value.message, code: value.code, ...value };
    if (typeof value.stack === 'string') {
      shown.stack = value.stack.split('\n');
    }
    return shown;
  };
  try {
    return '\t' + JSON.stringify(error, (_key, value) => withProperties(value));
  } catch {
    return '\t' + JSON.stringify(toRuntimeError(error));
  }
}
