'use strict';
/*
 * CloudFormation's custom resource ResponseURL, reached however a provider sends its answer.
 *
 * On AWS the ResponseURL is an https URL of S3 on the default port, so providers may build
 * their PUT from its host name and path alone: CDK's provider framework and its
 * CustomResourceProvider handlers call https.request({hostname, path, method: 'PUT'}),
 * dropping the scheme and the port. lambdaport's ResponseURL is its own http endpoint
 * (http://127.0.0.1:4566/_lambdaport/cloudformation/responses/...), which such a request
 * would miss (TLS to port 443). So an https request for lambdaport's host without a port,
 * to a path under the responses prefix, is sent over http to lambdaport's port instead.
 * Every other request is untouched.
 */

const http = require('http');
const https = require('https');

const RESPONSES = '/_lambdaport/cloudformation/responses/';

let endpoint = null; // {hostname, port} of lambdaport, set by install()

function target(options) {
  if (endpoint === null || options === null || typeof options !== 'object') {
    return false;
  }
  if (options instanceof URL) {
    return false; // a URL object keeps its port (443 when none): it is what it says
  }
  const host = options.hostname || options.host;
  const path = options.path || '';
  return (
    host === endpoint.hostname &&
    (options.port === undefined || options.port === null || options.port === '' ||
      Number(options.port) === 443) &&
    path.startsWith(RESPONSES)
  );
}

function redirected(options) {
  const copy = Object.assign({}, options, { port: endpoint.port, protocol: 'http:' });
  delete copy.agent; // an https agent cannot carry an http request
  delete copy.host;
  copy.hostname = endpoint.hostname;
  return copy;
}

function wrap(original, fallback) {
  return function (...args) {
    if (typeof args[0] !== 'string' && target(args[0])) {
      return fallback(redirected(args[0]), ...args.slice(1));
    }
    return original.apply(this, args);
  };
}

/** Route response PUTs for lambdaport's ResponseURL (see above); `url` is lambdaport's
 * endpoint as functions get it. Installed once per process. */
function install(url) {
  if (!url || endpoint !== null) {
    return;
  }
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    return;
  }
  if (parsed.protocol !== 'http:') {
    return;
  }
  endpoint = { hostname: parsed.hostname, port: Number(parsed.port || 80) };
  https.request = wrap(https.request, http.request);
  https.get = wrap(https.get, http.get);
}

module.exports = { install, RESPONSES };
