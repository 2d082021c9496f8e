'use strict';
/*
 * The runtime's own error types and AWS's serialisation of errors.
 *
 * An error object posted as an invocation's result is {errorType, errorMessage, trace}
 * (trace: the stack's lines); one logged is the error's own enumerable members with
 * errorType, errorMessage and stack (lines), after a tab, as AWS's Node.js runtime logs it.
 */

const util = require('util');

function isErrorLike(value) {
  return (
    value &&
    typeof value.name === 'string' &&
    typeof value.message === 'string' &&
    typeof value.stack === 'string'
  );
}

function intoError(value) {
  return value instanceof Error ? value : new Error(value);
}

/** The error object an invocation answers with. */
function toResponse(error) {
  try {
    if (util.types.isNativeError(error) || isErrorLike(error)) {
      return {
        errorType: error.name,
        errorMessage: error.message,
        trace: error.stack.split('\n'),
      };
    }
    return { errorType: typeof error, errorMessage: String(error), trace: [] };
  } catch (_ignored) {
    return {
      errorType: 'handled',
      errorMessage:
        'callback called with Error argument, but there was a problem while retrieving one or more of its message, name, and stack',
    };
  }
}

function withEnumerableMembers(_key, value) {
  if (value instanceof Error) {
    const members = Object.assign(
      { errorType: value.name, errorMessage: value.message, code: value.code },
      value,
    );
    if (typeof value.stack === 'string') {
      members.stack = value.stack.split('\n');
    }
    return members;
  }
  return value;
}

/** An error as the log shows it: a tab, then its JSON. */
function toFormatted(error) {
  try {
    return '\t' + JSON.stringify(error, withEnumerableMembers);
  } catch (_ignored) {
    return '\t' + JSON.stringify(toResponse(error));
  }
}

class RuntimeError extends Error {}

const ERROR_TYPES = [
  'ImportModuleError',
  'HandlerNotFound',
  'MalformedHandlerName',
  'UserCodeSyntaxError',
  'MalformedStreamingHandler',
  'InvalidStreamingOperation',
  'UnhandledPromiseRejection',
  'MarshalError',
];

const types = {};
for (const name of ERROR_TYPES) {
  const type = class extends RuntimeError {};
  Object.defineProperty(type, 'name', { value: name });
  type.prototype.name = `Runtime.${name}`;
  types[name] = type;
}

module.exports = { intoError, toResponse, toFormatted, ...types };
