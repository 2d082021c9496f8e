'use strict';
/*
 * console.* as AWS's Node.js runtime writes it: one line per call on stdout,
 *   TEXT: `<ISO timestamp>\t<request id>\t<LEVEL>\t<util.format(...)>`
 *   JSON: {"timestamp", "level", "requestId", "message"[, "errorType", "errorMessage",
 *          "stackTrace"]} (AWS_LAMBDA_LOG_FORMAT=JSON),
 * newlines inside a message turned into carriage returns so a message stays one log event;
 * AWS_LAMBDA_LOG_LEVEL drops the levels below it.
 */

const util = require('util');
const { intoError, toFormatted } = require('./errors.js');

const LEVELS = {
  TRACE: 1,
  DEBUG: 2,
  INFO: 3,
  WARN: 4,
  ERROR: 5,
  FATAL: 6,
};

let requestId;

function setRequestId(id) {
  requestId = id;
}

function jsonReplacer(_key, value) {
  if (value instanceof Error) {
    return Object.assign(
      {
        errorType: value?.constructor?.name ?? 'UnknownError',
        errorMessage: value.message,
        stackTrace: typeof value.stack === 'string' ? value.stack.split('\n') : value.stack,
      },
      value,
    );
  }
  return value;
}

function jsonRecord(level, params) {
  const record = { timestamp: new Date().toISOString(), level, requestId };
  if (params.length === 1) {
    record.message = params[0];
    try {
      return JSON.stringify(record, jsonReplacer);
    } catch (_ignored) {
      record.message = util.format(record.message);
      return JSON.stringify(record);
    }
  }
  record.message = util.format(...params);
  const error = params.find((param) => param instanceof Error);
  if (error !== undefined) {
    record.errorType = error?.constructor?.name ?? 'UnknownError';
    record.errorMessage = error.message;
    record.stackTrace = typeof error.stack === 'string' ? error.stack.split('\n') : [];
  }
  return JSON.stringify(record);
}

function textLine(level, params) {
  return `${new Date().toISOString()}\t${requestId}\t${level}\t${util.format(...params)}`;
}

const structured = { json: false };

/** Patch console from the function's environment (called once the environment is set). */
function patchConsole() {
  const json = (process.env.AWS_LAMBDA_LOG_FORMAT || '').toUpperCase() === 'JSON';
  structured.json = json;
  const format = json ? jsonRecord : textLine;
  const threshold = LEVELS[(process.env.AWS_LAMBDA_LOG_LEVEL || '').toUpperCase()] ?? 1;
  const write = (level) => {
    if (LEVELS[level] < threshold) {
      return () => {};
    }
    return (...params) => {
      process.stdout.write(format(level, params).replace(/\n/g, '\r') + '\n');
    };
  };
  console.trace = write('TRACE');
  console.debug = write('DEBUG');
  console.info = write('INFO');
  console.log = console.info;
  console.warn = write('WARN');
  console.error = write('ERROR');
  console.fatal = write('FATAL');
}

/** An error the runtime reports (`Invoke Error`, `Uncaught Exception`, ...). */
function logError(label, error) {
  if (structured.json) {
    console.error(intoError(error));
  } else {
    console.error(label, toFormatted(intoError(error)));
  }
}

/** Format a line of each kind once (a standby's warm-up: compiled before it is needed). */
function warmUp() {
  const error = new Error('warm-up');
  textLine('INFO', ['warm-up %s %d', 'text', 1, { a: [1] }, error]);
  jsonRecord('INFO', ['warm-up']);
  jsonRecord('ERROR', ['warm-up', error]);
  jsonRecord('ERROR', [error]);
}

module.exports = { patchConsole, setRequestId, logError, warmUp };
