'use strict';
/*
 * Loading the function's handler as AWS's Node.js runtime does.
 *
 * `dir/file.a.b` is the export `a.b` of the module `dir/file` below the code directory,
 * tried as the file itself, `.js` (CommonJS unless the nearest package.json says
 * "type": "module"), `.mjs` (an ES module, top-level await included) and `.cjs`, then
 * through require's resolution. Failures are AWS's Runtime.* errors: MalformedHandlerName,
 * ImportModuleError (a module that cannot be found), UserCodeSyntaxError, HandlerNotFound.
 */

const fs = require('fs');
const path = require('path');
const { pathToFileURL } = require('url');
const errors = require('./errors.js');

const STREAMING = Symbol.for('aws.lambda.runtime.handler.streaming');
const HIGH_WATER_MARK = Symbol.for('aws.lambda.runtime.handler.streaming.highWaterMark');
const STREAM_RESPONSE = 'response';

function splitHandler(fullHandler) {
  if (fullHandler.includes('..')) {
    throw new errors.MalformedHandlerName(
      `'${fullHandler}' is not a valid handler name. Use absolute paths when specifying root directories in handler names.`,
    );
  }
  const base = path.basename(fullHandler);
  const moduleRoot = fullHandler.substring(0, fullHandler.indexOf(base));
  const match = base.match(/^([^.]*)\.(.*)$/);
  if (!match) {
    throw new errors.MalformedHandlerName('Bad handler');
  }
  return [moduleRoot, match[1], match[2]];
}

function isModuleFolder(folder) {
  if (folder.endsWith('/node_modules')) {
    return false;
  }
  const manifest = path.join(folder, 'package.json');
  if (fs.existsSync(manifest)) {
    try {
      return JSON.parse(fs.readFileSync(manifest)).type === 'module';
    } catch (error) {
      console.warn(
        `${manifest} cannot be read, it will be ignored for ES module detection purposes.`,
        error,
      );
      return false;
    }
  }
  const parent = path.resolve(folder, '..');
  return parent === folder ? false : isModuleFolder(parent);
}

function requireIfPresent(file) {
  return fs.existsSync(file) ? require(file) : undefined;
}

async function importIfPresent(file) {
  if (!fs.existsSync(file)) {
    return undefined;
  }
  return await import(pathToFileURL(file).href);
}

async function loadModule(codeDir, moduleRoot, name) {
  const base = path.resolve(codeDir, moduleRoot, name);
  const bare = requireIfPresent(base);
  if (bare) {
    return bare;
  }
  const esm = fs.existsSync(base + '.js') && isModuleFolder(path.dirname(base + '.js'));
  if (!esm) {
    const commonjs = requireIfPresent(base + '.js');
    if (commonjs) {
      return commonjs;
    }
  }
  const loaded =
    (esm && (await importIfPresent(base + '.js'))) ||
    (await importIfPresent(base + '.mjs')) ||
    requireIfPresent(base + '.cjs');
  if (loaded) {
    return loaded;
  }
  return require(require.resolve(name, { paths: [codeDir, path.resolve(codeDir, moduleRoot)] }));
}

/*
 * ES modules ignore NODE_PATH; AWS's runtime still lets them import the SDK it ships and
 * packages of layers. A resolve hook (esm-resolve.mjs) retries a bare specifier the default
 * resolution cannot find from each NODE_PATH directory. Starting Node's hooks thread costs
 * about as much as starting node, so the standby registers it ahead (`prepareEsm`) and the
 * assignment only sends it the directories (`esmResolution`).
 */
let esmRoots = null;

function prepareEsm() {
  const module = require('module');
  if (typeof module.register !== 'function') {
    return;
  }
  const { MessageChannel } = require('worker_threads');
  const { port1, port2 } = new MessageChannel();
  module.register(pathToFileURL(path.join(__dirname, 'esm-resolve.mjs')).href, {
    data: { port: port2 },
    transferList: [port2],
  });
  port1.unref();
  esmRoots = port1;
}

function esmResolution() {
  if (esmRoots !== null) {
    const roots = (process.env.NODE_PATH || '').split(path.delimiter).filter(Boolean);
    esmRoots.postMessage(roots);
    esmRoots = null;
  }
}

/** The function's handler (throws AWS's Runtime.* errors). */
async function load(codeDir, fullHandler) {
  esmResolution();
  return await loadHandler(codeDir, fullHandler);
}

/** The handler `fullHandler` below `codeDir` (the function's, or the warm-up's). */
async function loadHandler(codeDir, fullHandler) {
  const [moduleRoot, name, member] = splitHandler(fullHandler);
  let loaded;
  try {
    loaded = await loadModule(codeDir, moduleRoot, name);
  } catch (error) {
    if (error instanceof SyntaxError) {
      throw new errors.UserCodeSyntaxError(error);
    }
    if (error?.code === 'MODULE_NOT_FOUND') {
      throw new errors.ImportModuleError(error);
    }
    throw error;
  }
  const handler = member.split('.').reduce((found, key) => found && found[key], loaded);
  if (!handler) {
    throw new errors.HandlerNotFound(`${fullHandler} is undefined or not exported`);
  }
  if (typeof handler !== 'function') {
    throw new errors.HandlerNotFound(`${fullHandler} is not a function`);
  }
  return handler;
}

/** Whether the handler was wrapped by awslambda.streamifyResponse, and its highWaterMark. */
function streaming(handler) {
  const mode = handler[STREAMING];
  if (mode === undefined || mode === null || mode === false) {
    return { streaming: false };
  }
  if (mode !== STREAM_RESPONSE) {
    throw new errors.MalformedStreamingHandler('Only response streaming is supported.');
  }
  const mark = parseInt(handler[HIGH_WATER_MARK]);
  return { streaming: true, highWaterMark: Number.isNaN(mark) ? undefined : mark };
}

function streamifyResponse(handler, options) {
  handler[STREAMING] = STREAM_RESPONSE;
  if (typeof options?.highWaterMark === 'number') {
    handler[HIGH_WATER_MARK] = parseInt(options.highWaterMark);
  }
  return handler;
}

module.exports = { load, loadHandler, prepareEsm, streaming, streamifyResponse };
