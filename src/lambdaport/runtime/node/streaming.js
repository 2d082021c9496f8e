'use strict';
/*
 * Response streaming: the `responseStream` a handler wrapped by awslambda.streamifyResponse
 * writes to, and awslambda.HttpResponseStream (the function URL's HTTP prelude).
 *
 * The stream hands its content type once, before the first bytes, then every chunk to a
 * sink (the worker's "stream" and "chunk" frames).
 */

const { Writable } = require('stream');
const errors = require('./errors.js');

const HTTP_INTEGRATION = 'application/vnd.awslambda.http-integration-response';
const DELIMITER = 8; // null bytes between the HTTP prelude and the body

function createResponseStream(sink, highWaterMark) {
  let contentType = 'application/octet-stream';
  let opened = false;
  let stream;
  const open = () => {
    if (opened) {
      return;
    }
    opened = true;
    sink.open(contentType);
    const beforeFirstWrite = stream._onBeforeFirstWrite;
    if (typeof beforeFirstWrite === 'function') {
      beforeFirstWrite((data) => sink.chunk(Buffer.from(data)));
    }
  };
  stream = new Writable({
    highWaterMark,
    write(chunk, _encoding, callback) {
      open();
      sink.chunk(chunk);
      callback();
    },
    final(callback) {
      open();
      callback();
    },
  });
  stream.setContentType = (type) => {
    if (opened) {
      throw new errors.InvalidStreamingOperation('Cannot set content-type, too late.');
    }
    contentType = type;
  };
  return stream;
}

class HttpResponseStream {
  static from(underlying, prelude) {
    underlying.setContentType(HTTP_INTEGRATION);
    const metadata = JSON.stringify(prelude);
    underlying._onBeforeFirstWrite = (write) => {
      write(metadata);
      write(new Uint8Array(DELIMITER));
    };
    return underlying;
  }
}

module.exports = { createResponseStream, HttpResponseStream };
