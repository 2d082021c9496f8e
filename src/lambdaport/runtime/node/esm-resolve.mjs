// The resolve hook of handler.js's esmResolution (module.register, in Node's hooks thread):
// a bare specifier the default resolution cannot find is retried from each NODE_PATH root.
// It is registered by the standby before it knows its function; the roots come on a port
// at assignment and are read synchronously at the first resolution after it.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { receiveMessageOnPort } from 'node:worker_threads';

let port = null;
let roots = [];

export function initialize(data) {
  port = data.port;
}

function currentRoots() {
  let message;
  while (port !== null && (message = receiveMessageOnPort(port)) !== undefined) {
    roots = message.message;
  }
  return roots;
}

function isBare(specifier) {
  return !/^(\.|\/|[a-z][a-z0-9+.-]*:)/i.test(specifier);
}

export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (error) {
    if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !isBare(specifier)) {
      throw error;
    }
    for (const root of currentRoots()) {
      try {
        const parentURL = pathToFileURL(path.join(root, 'noop.js')).href;
        return await nextResolve(specifier, { ...context, parentURL });
      } catch (_ignored) {
        // the next root
      }
    }
    throw error;
  }
}
