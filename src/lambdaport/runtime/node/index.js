'use strict';
/*
 * lambdaport's runtime interface client for the Node.js managed runtimes (nodejs18.x to
 * nodejs24.x), behaving as AWS's aws-lambda-nodejs-runtime-interface-client.
 *
 * The process is started ahead of need as a standby (runtime/nodejs.py), below a keeper of
 * its own: fd 3 brings request frames, fd 4 takes response frames, stdout and stderr are the
 * environment's log pipe (frames.js). The first frame assigns the standby to a function
 * ({"kind": "assign", "env", "code_dir", "handler"}): the environment replaces process.env,
 * the handler is loaded and an init frame ({"kind": "init", "pid", "error"}) answers. Each
 * later frame is an invocation, answered by a response frame ({"kind": "response",
 * "error_type", "max_rss_kb", "streamed", "exiting"}), preceded for streaming handlers by a
 * "stream" frame (the content type) and "chunk" frames.
 *
 * Before its assignment a standby warms up (`warmUp`): it runs one invocation of a handler
 * of its own (warmup.js) through the same code, its frames written to /dev/null, so that what
 * a first invocation compiles and initialises (the CommonJS loader, the frames, the context,
 * JSON, the console's formats) is done while no function waits for it.
 *
 * As on AWS: callback handlers answer once the event loop is empty unless
 * context.callbackWaitsForEmptyEventLoop is false (the request pipe is unreferenced during
 * an invocation, so "empty" means the function's own work); async handlers answer when their
 * promise settles; an uncaught exception or an unhandled rejection is the invocation's error
 * and ends the process (exit codes 129 and 128), as does a process.exit in the handler.
 */

const fs = require('fs');
const net = require('net');
const { FrameReader, writeFrame } = require('./frames.js');
const errors = require('./errors.js');
const logging = require('./logging.js');
const handlers = require('./handler.js');
const responses = require('./responses.js');
const { createResponseStream, HttpResponseStream } = require('./streaming.js');

const REQUEST_FD = 3;
const RESPONSE_FD = 4;

function isPromise(value) {
  return value && typeof value.then === 'function';
}

function parseJson(text, name) {
  if (text === undefined || text === null) {
    return undefined;
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`Cannot parse ${name} as json: ${error.toString()}`);
  }
}

function maxRssKb() {
  return process.resourceUsage().maxRSS;
}

class Worker {
  constructor() {
    this.reader = new FrameReader();
    this.queue = [];
    this.ready = false; // assigned and initialised
    this.busy = false;
    this.handler = null;
    this.streaming = { streaming: false };
    this.current = null; // the request id of the invocation in progress
    this.initialised = false;
    this.beforeExit = null;
    this.output = RESPONSE_FD; // /dev/null while warming up
    this.warming = null; // what ends the warm-up, run when its invocation is done
    this.socket = new net.Socket({ fd: REQUEST_FD, readable: true, writable: false });
    this.socket.on('data', (chunk) => this.onData(chunk));
    this.socket.on('end', () => process.exit(0)); // the server closed the request pipe
    this.socket.on('error', () => process.exit(0));
    process.on('beforeExit', () => {
      const listener = this.beforeExit;
      this.beforeExit = null;
      if (listener !== null) {
        listener();
      }
    });
    process.on('uncaughtException', (error) => this.fatal('Uncaught Exception', error, 129));
    process.on('unhandledRejection', (reason) => {
      const error = new errors.UnhandledPromiseRejection(reason);
      this.fatal('Unhandled Promise Rejection', error, 128);
    });
  }

  onData(chunk) {
    for (const frame of this.reader.feed(chunk)) {
      this.queue.push(frame);
    }
    this.next();
  }

  next() {
    if (this.busy || this.queue.length === 0) {
      return;
    }
    const [header, body] = this.queue.shift();
    this.busy = true;
    if (header.kind === 'assign') {
      this.assign(header);
    } else if (this.streaming.streaming) {
      this.invokeStreaming(header, body);
    } else {
      this.invoke(header, body);
    }
  }

  done() {
    if (this.warming !== null) {
      this.warming();
    }
    this.current = null;
    this.busy = false;
    this.socket.ref();
    setImmediate(() => this.next());
  }

  // -- warm-up -----------------------------------------------------------------------------

  warmUp() {
    this.busy = true; // an assignment arriving meanwhile waits in the queue
    const devNull = fs.openSync('/dev/null', 'w');
    this.output = devNull;
    logging.warmUp();
    this.warming = () => {
      this.warming = null;
      this.output = RESPONSE_FD;
      this.handler = null;
      logging.setRequestId(undefined); // init's lines have none, as on AWS
      fs.closeSync(devNull);
    };
    handlers.loadHandler(__dirname, 'warmup.handler').then(
      (handler) => {
        this.handler = handler;
        const header = { id: 'warm-up', arn: '', deadline_ms: Date.now() + 60000 };
        this.invoke(header, Buffer.from('{"warm":true}'));
      },
      () => this.done(), // cannot happen (our own module); the standby serves all the same
    );
  }

  // -- init ------------------------------------------------------------------------------

  async assign(header) {
    for (const key of Object.keys(process.env)) {
      delete process.env[key];
    }
    Object.assign(process.env, header.env);
    process.chdir(header.code_dir);
    require('module')._initPaths(); // NODE_PATH, as if the process had started with it
    logging.patchConsole();
    responses.install(header.endpoint);
    const noGlobal = process.env.AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA;
    if (noGlobal !== '1' && noGlobal !== 'true') {
      globalThis.awslambda = {
        streamifyResponse: handlers.streamifyResponse,
        HttpResponseStream,
      };
    }
    let error = null;
    try {
      this.handler = await handlers.load(header.code_dir, header.handler);
      this.streaming = handlers.streaming(this.handler);
    } catch (failure) {
      console.error('Uncaught Exception', errors.toFormatted(failure));
      error = errors.toResponse(failure);
    }
    this.initialised = true;
    writeFrame(this.output, { kind: 'init', pid: process.pid, error });
    this.done();
  }

  // -- one invocation ----------------------------------------------------------------------

  begin(header) {
    this.current = header.id;
    logging.setRequestId(header.id);
    if (header.trace_id) {
      process.env._X_AMZN_TRACE_ID = header.trace_id;
    } else {
      delete process.env._X_AMZN_TRACE_ID;
    }
    this.socket.unref(); // the event loop is "empty" when the function's own work is done
  }

  context(header, members) {
    const deadline = header.deadline_ms;
    return Object.assign(members, {
      functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
      functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
      memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
      logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
      logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
      clientContext: parseJson(header.client_context, 'ClientContext'),
      identity: parseJson(header.cognito_identity, 'CognitoIdentity'),
      invokedFunctionArn: header.arn,
      awsRequestId: header.id,
      tenantId: undefined,
      getRemainingTimeInMillis: () => deadline - Date.now(),
    });
  }

  invoke(header, body) {
    this.begin(header);
    const id = header.id;
    let settled = false;
    let waits = true;
    const complete = (error, result) => {
      if (settled || this.current !== id) {
        return;
      }
      settled = true;
      this.beforeExit = null;
      this.respond(error, result);
    };
    let called = false; // only the first call of the callback counts
    const callback = (error, result) => {
      if (settled || called) {
        return;
      }
      called = true;
      if (error !== undefined && error !== null) {
        complete(error);
      } else if (!waits) {
        complete(null, result);
      } else {
        this.beforeExit = () => setImmediate(() => complete(null, result));
      }
    };
    // Neither a promise nor the callback: the answer is null once the loop is empty.
    this.beforeExit = () => complete(null, null);
    try {
      const event = JSON.parse(body.length ? body.toString('utf8') : '{}');
      const context = this.context(header, {
        get callbackWaitsForEmptyEventLoop() {
          return waits;
        },
        set callbackWaitsForEmptyEventLoop(value) {
          waits = value;
        },
        succeed: (result) => complete(null, result),
        fail: (error) => complete(error === undefined || error === null ? 'handled' : error),
        done: (error, result) => complete(error, result),
      });
      const result = this.handler(event, context, callback);
      if (isPromise(result)) {
        result.then(
          (value) => complete(null, value),
          (error) => complete(error === undefined || error === null ? 'handled' : error),
        );
      }
    } catch (error) {
      complete(error);
    }
  }

  respond(error, result, extra) {
    let header;
    let body;
    if (error !== undefined && error !== null) {
      logging.logError('Invoke Error', error);
      const response = errors.toResponse(error);
      header = { kind: 'response', error_type: response.errorType };
      body = JSON.stringify(response);
    } else {
      try {
        body = JSON.stringify(result === undefined ? null : result);
      } catch (_ignored) {
        const failure = errors.toResponse(new Error('Unable to stringify response body'));
        header = { kind: 'response', error_type: failure.errorType };
        body = JSON.stringify(failure);
      }
      header = header ?? { kind: 'response', error_type: null };
      body = body ?? 'null';
    }
    header.max_rss_kb = maxRssKb();
    writeFrame(this.output, Object.assign(header, extra), body);
    this.done();
  }

  invokeStreaming(header, body) {
    this.begin(header);
    const id = header.id;
    let settled = false;
    const finish = (error) => {
      if (settled || this.current !== id) {
        return;
      }
      settled = true;
      this.beforeExit = null;
      if (error !== undefined && error !== null) {
        this.respond(error, undefined, { streamed: true });
      } else {
        writeFrame(this.output, {
          kind: 'response',
          error_type: null,
          streamed: true,
          max_rss_kb: maxRssKb(),
        });
        this.done();
      }
    };
    this.beforeExit = () => finish(new Error('Response stream is not finished.'));
    const sink = {
      open: (contentType) => writeFrame(this.output, { kind: 'stream', content_type: contentType }),
      chunk: (data) => {
        if (this.current === id && !settled) {
          writeFrame(this.output, { kind: 'chunk' }, data);
        }
      },
    };
    try {
      const event = JSON.parse(body.length ? body.toString('utf8') : '{}');
      const stream = createResponseStream(sink, this.streaming.highWaterMark);
      const result = this.handler(event, stream, this.context(header, {}));
      if (!isPromise(result)) {
        finish(new Error('Streaming does not support non-async handlers.'));
        return;
      }
      result.then(
        (value) => {
          if (value !== undefined) {
            console.warn('Streaming handlers ignore return values.');
          }
          setImmediate(() => {
            finish(stream.writableFinished ? null : new Error('Response stream is not finished.'));
          });
        },
        (error) => finish(error === undefined || error === null ? 'handled' : error),
      );
    } catch (error) {
      finish(error);
    }
  }

  // -- faults ------------------------------------------------------------------------------

  fatal(label, error, code) {
    console.error(label, errors.toFormatted(error));
    const response = errors.toResponse(error);
    if (!this.initialised) {
      writeFrame(this.output, { kind: 'init', pid: process.pid, error: response });
    } else if (this.current !== null) {
      const header = {
        kind: 'response',
        error_type: response.errorType,
        max_rss_kb: maxRssKb(),
        streamed: this.streaming.streaming,
        exiting: true,
      };
      writeFrame(this.output, header, JSON.stringify(response));
    }
    process.exit(code);
  }
}

handlers.prepareEsm();
new Worker().warmUp();
