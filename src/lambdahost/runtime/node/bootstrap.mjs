// lambdahost's Node.js runtime: loads the function's handler, then serves its invocations, one at
// a time, over the channel the host gave it (host.mjs), with the semantics of AWS's own runtime
// interface client
// (aws-lambda-nodejs-runtime-interface-client 3: src/index.mjs, src/Runtime.js,
// src/CallbackContext.js, src/InvokeContext.js). Lambda's nodejs24.x and later run its version 4,
// which calls handlers only as async functions: a handler of three parameters (a callback) fails
// its init, the context has no succeed, fail, done or callbackWaitsForEmptyEventLoop, and an
// answer never waits for the event loop to empty. Node's standard library only.
//
//   node bootstrap.mjs     (with _HANDLER, LAMBDA_TASK_ROOT and _LAMBDAHOST_CHANNEL_FD set)

import { setImmediate as nextTurn } from 'node:timers/promises';
import {
  CallbackHandlerDeprecated,
  JSONStringifyError,
  NodeJsExit,
  UnhandledPromiseRejection,
} from './errors.mjs';
import { describe, loadHandler, streamifyResponse } from './handler.mjs';
import { Host, serialized } from './host.mjs';
import { patchConsole, setInvocation } from './logging.mjs';
import { HttpResponseStream, responseStream } from './streaming.mjs';

const api = new Host(Number(process.env._LAMBDAHOST_CHANNEL_FD));
delete process.env._LAMBDAHOST_CHANNEL_FD; // (lambdahost's, not the function's)
const logError = patchConsole();
const release = Number(/nodejs(\d+)/.exec(process.env.AWS_EXECUTION_ENV ?? '')?.[1] ?? process.versions.node.split('.')[0]);
const callbacks = release < 24;

// An uncaught exception or an unhandled rejection fails the init, or the invocation in flight;
// then the process ends (status 129 or 128), and the next invocation starts a new one.
// (Version 4's handling of these is UNCONFIRMED: version 3's is kept for every release.)
let fatal = (error, status) => api.failInit(error).finally(() => process.exit(status));
process.on('uncaughtException', (error) => {
  logError(callbacks ? 'Uncaught Exception' : 'Init Error', error);
  fatal(error, 129);
});
process.on('unhandledRejection', (reason, promise) => {
  const error = new UnhandledPromiseRejection(reason, promise);
  logError('Unhandled Promise Rejection', error);
  fatal(error, 128);
});

// What the invocation in flight does when the event loop empties.
let beforeExit = () => {};
process.on('beforeExit', () => beforeExit());

const flag = process.env.AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA;
if (flag !== '1' && flag !== 'true') {
  globalThis.awslambda = { streamifyResponse, HttpResponseStream };
}

if (process.env._LAMBDAHOST_AHEAD) {  // started ahead of need: the init begins when an invocation needs it
  delete process.env._LAMBDAHOST_AHEAD;
  await api.loadSignal();
}
const handler = await loadHandler(process.env.LAMBDA_TASK_ROOT, process.env._HANDLER);
const metadata = describe(handler);
if (!callbacks && metadata.parameters >= 3 && !metadata.streaming) {
  throw new CallbackHandlerDeprecated();
}
if (
  callbacks &&
  process.env.AWS_LAMBDA_NODEJS_DISABLE_CALLBACK_WARNING === undefined &&
  metadata.parameters === 3 &&
  !metadata.isAsync &&
  !metadata.streaming
) {
  console.warn(
    'AWS Lambda plans to remove support for callback-based function handlers starting with Node.js 24. You will ' +
      'need to update this function to use an async handler to use Node.js 24 or later. For more information and ' +
      'to provide feedback on this change, see ' +
      'https://github.com/aws/aws-lambda-nodejs-runtime-interface-client/issues/137. To disable this warning, set ' +
      'the AWS_LAMBDA_NODEJS_DISABLE_CALLBACK_WARNING environment variable.',
  );
}
const invoke = metadata.streaming ? invokeStreaming : callbacks ? invokeOnce : invokeAwaited;
for (;;) {
  const { body, headers } = await api.next();
  await invoke(body, headers);
}

/** The context of an invocation: the function's settings and the invocation's headers. */
function contextOf(headers, callbackContext) {
  const deadline = Number(headers['lambda-runtime-deadline-ms']);
  const trace = headers['lambda-runtime-trace-id'];
  if (trace) {
    process.env._X_AMZN_TRACE_ID = trace;
  } else {
    delete process.env._X_AMZN_TRACE_ID;
  }
  return Object.assign(callbackContext, {
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    clientContext: parsed(headers['lambda-runtime-client-context'], 'ClientContext'),
    identity: parsed(headers['lambda-runtime-cognito-identity'], 'CognitoIdentity'),
    invokedFunctionArn: headers['lambda-runtime-invoked-function-arn'],
    awsRequestId: headers['lambda-runtime-aws-request-id'],
    tenantId: headers['lambda-runtime-aws-tenant-id'],
    getRemainingTimeInMillis: () => deadline - Date.now(),
  });
}

function parsed(text, name) {
  if (text === undefined) {
    return undefined;
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`Cannot parse ${name} as json: ${error.toString()}`);
  }
}

/** An invocation begins: its lines name it, and what is fatal now fails it. */
function begin(headers) {
  setInvocation(headers['lambda-runtime-aws-request-id'], headers['lambda-runtime-aws-tenant-id']);
  fatal = (error, status) => api.fail(error, true).finally(() => process.exit(status));
}

/** One invocation of a handler that returns (a promise) or calls back; resolves once its
 * outcome has been told. A callback's answer waits for the event loop to empty, unless
 * ``context.callbackWaitsForEmptyEventLoop`` is false; the first of the callback,
 * ``context.succeed``, ``fail`` and ``done`` counts. */
function invokeOnce(body, headers) {
  begin(headers);
  return new Promise((settled) => {
    let answered = false;
    let finished = false;
    let waitForEmptyEventLoop = true;
    const told = (posting) => posting.then(settled, (error) => fatal(error, 129));
    const complete = (result) => {
      if (answered) {
        console.error(
          'Invocation has already been reported as done. Cannot call complete more than once per invocation.',
        );
        return;
      }
      answered = true;
      told(api.respond(serialized(result)));
    };
    const fail = (error) => {
      logError('Invoke Error', error);
      told(api.fail(error));
    };
    const done = (error, result) => {
      beforeExit = () => {};
      if (error !== undefined && error !== null) {
        fail(error);
      } else {
        complete(result);
      }
    };
    const callback = (error, result) => {
      beforeExit = () => {};
      if (error !== undefined && error !== null) {
        fail(error);
      } else if (!waitForEmptyEventLoop) {
        complete(result);
      } else {
        beforeExit = () => setImmediate(() => complete(result));
      }
    };
    const first = (call) =>
      function (...args) {
        if (!finished) {
          call(...args);
          finished = true;
        }
      };
    const context = contextOf(headers, {
      get callbackWaitsForEmptyEventLoop() {
        return waitForEmptyEventLoop;
      },
      set callbackWaitsForEmptyEventLoop(value) {
        waitForEmptyEventLoop = value;
      },
      succeed: first((result) => done(null, result)),
      fail: first((error) => done(error ?? 'handled', null)),
      done: first(done),
    });
    // The event loop emptied with no answer: a callback handler's is null; an async handler's
    // promise never settled.
    beforeExit = () => {
      answered = true;
      if (metadata.isAsync) {
        const error = new NodeJsExit();
        logError('Invoke Error', error);
        told(api.fail(error));
      } else {
        told(api.respond(serialized(null)));
      }
    };
    const once = first(callback);
    try {
      const result = handler(JSON.parse(body), context, once);
      if (typeof result?.then === 'function') {
        result.then(context.succeed, context.fail).catch(context.fail);
      }
    } catch (error) {
      once(error);
    }
  });
}

/** One invocation as Node.js 24 and later make it: the handler's promise awaited, its outcome
 * told a turn later. */
async function invokeAwaited(body, headers) {
  begin(headers);
  const context = contextOf(headers, { xRayTraceId: headers['lambda-runtime-trace-id'] });
  let answer;
  try {
    const result = await handler(JSON.parse(body), context);
    await nextTurn();
    answer = serialized(result, JSONStringifyError);
  } catch (error) {
    logError('Invoke Error', error);
    await api.fail(error);
    return;
  }
  await api.respond(answer);
}

/** One invocation of a streaming handler: (event, responseStream, context), its writes sent as
 * they are made; it must return a promise, and end the stream. */
async function invokeStreaming(body, headers) {
  begin(headers);
  let waitForEmptyEventLoop = callbacks;
  const waiting = {
    get callbackWaitsForEmptyEventLoop() {
      return waitForEmptyEventLoop;
    },
    set callbackWaitsForEmptyEventLoop(value) {
      waitForEmptyEventLoop = value;
    },
  };
  const context = contextOf(headers, callbacks ? waiting : { xRayTraceId: headers['lambda-runtime-trace-id'] });
  const request = api.stream('application/octet-stream', metadata.highWaterMark);
  const answered = request.answered;
  const { stream, fail } = responseStream(request);
  const failed = (error) => {
    logError('Invoke Error', error);
    fail(error);
  };
  beforeExit = () => {};
  try {
    const result = handler(JSON.parse(body), stream, context);
    if (typeof result?.then !== 'function') {
      failed('Streaming does not support non-async handlers.');
    } else {
      if ((await result) !== undefined) {
        console.warn('Streaming handlers ignore return values.');
      }
      await answered; // (a stream never ended is never answered: the invocation times out, as on Lambda)
      if (!stream.writableFinished) {
        failed('Response stream is not finished.');
      }
    }
  } catch (error) {
    failed(error);
  }
  await answered;
  if (waitForEmptyEventLoop) {
    await new Promise((resolve) => {
      beforeExit = () => setImmediate(resolve);
    });
    beforeExit = () => {};
  }
}
