// Finding the handler a handler string names, as AWS's Node.js runtime does
// (aws-lambda-nodejs-runtime-interface-client, src/UserFunction.js): "path/module.a.b" is the
// export a.b of the module "module" in the folder "path" of the task root; the module is tried
// as a file without extension, then .js (CommonJS, or an ES module under a package.json whose
// "type" is "module"), .mjs and .cjs, then as a package (NODE_PATH: the layers' node_modules).

import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  HandlerNotFound,
  ImportModuleError,
  MalformedHandlerName,
  MalformedStreamingHandler,
  UserCodeSyntaxError,
} from './errors.mjs';

const require = createRequire(import.meta.url);
const STREAMING = Symbol.for('aws.lambda.runtime.handler.streaming');
const HIGH_WATER_MARK = Symbol.for('aws.lambda.runtime.handler.streaming.highWaterMark');

export async function loadHandler(taskRoot, handlerString) {
  if (handlerString.includes('..')) {
    throw new MalformedHandlerName(
      `'${handlerString}' is not a valid handler name. Use absolute paths when specifying root directories in ` +
        'handler names.',
    );
  }
  const name = path.basename(handlerString);
  const moduleRoot = handlerString.substring(0, handlerString.indexOf(name));
  const parts = /^([^.]*)\.(.*)$/.exec(name);
  if (parts === null) {
    throw new MalformedHandlerName('Bad handler');
  }
  const [, moduleName, exportPath] = parts;
  const loaded = await loadModule(taskRoot, moduleRoot, moduleName);
  const handler = exportPath.split('.').reduce((nested, key) => nested && nested[key], loaded);
  if (!handler) {
    throw new HandlerNotFound(`${handlerString} is undefined or not exported`);
  }
  if (typeof handler !== 'function') {
    throw new HandlerNotFound(`${handlerString} is not a function`);
  }
  return handler;
}

/** How the handler is to be called: streaming (``awslambda.streamifyResponse``), async, and
 * with how many parameters (three: a callback). */
export function describe(handler) {
  const streaming = handler[STREAMING];
  if (streaming !== undefined && streaming !== null && streaming !== false && streaming !== 'response') {
    throw new MalformedStreamingHandler('Only response streaming is supported.');
  }
  const highWaterMark = parseInt(handler[HIGH_WATER_MARK]);
  return {
    streaming: streaming === 'response',
    highWaterMark: Number.isNaN(highWaterMark) ? undefined : highWaterMark,
    isAsync: handler.constructor?.name === 'AsyncFunction',
    parameters: handler.length,
  };
}

/** ``awslambda.streamifyResponse``: marks a handler as one that streams its response. */
export function streamifyResponse(handler, options) {
  handler[STREAMING] = 'response';
  if (typeof options?.highWaterMark === 'number') {
    handler[HIGH_WATER_MARK] = parseInt(options.highWaterMark);
  }
  return handler;
}

async function loadModule(taskRoot, moduleRoot, moduleName) {
  try {
    return await findModule(taskRoot, moduleRoot, moduleName);
  } catch (error) {
    if (error instanceof SyntaxError) {
      throw new UserCodeSyntaxError(error);
    }
    if (error?.code === 'MODULE_NOT_FOUND') {
      throw new ImportModuleError(error);
    }
    throw error;
  }
}

async function findModule(taskRoot, moduleRoot, moduleName) {
  const file = path.resolve(taskRoot, moduleRoot, moduleName);
  const required = (extension) => (existsSync(file + extension) ? require(file + extension) : undefined);
  const imported = async (extension) =>
    existsSync(file + extension) ? await import(pathToFileURL(file + extension).href) : undefined;
  const esm = existsSync(file + '.js') && isModuleFolder(path.dirname(file + '.js'));
  return (
    required('') ||
    (!esm && required('.js')) ||
    (esm && (await imported('.js'))) ||
    (await imported('.mjs')) ||
    required('.cjs') ||
    require(require.resolve(moduleName, { paths: [taskRoot, moduleRoot] }))
  );
}

/** Whether .js files here are ES modules: the nearest package.json says "type": "module" (a
 * node_modules folder, or the root, ends the search). */
function isModuleFolder(folder) {
  if (folder.endsWith('/node_modules')) {
    return false;
  }
  const manifest = path.join(folder, 'package.json');
  if (existsSync(manifest)) {
    try {
      return JSON.parse(readFileSync(manifest)).type === 'module';
    } catch (error) {
      console.warn(`${manifest} cannot be read, it will be ignored for ES module detection purposes.`, error);
      return false;
    }
  }
  return folder === '/' ? false : isModuleFolder(path.resolve(folder, '..'));
}
