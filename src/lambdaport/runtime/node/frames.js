'use strict';
/*
 * The framed pipe protocol between lambdaport and a Node.js worker (the worker's side).
 *
 * The same frames as the Python worker's (runtime/worker/protocol.py): ">II" (header length,
 * body length, big-endian), a JSON header, then the body as raw bytes. Requests arrive on
 * fd 3, responses leave on fd 4 with blocking writes, after everything the function wrote to
 * stdout and stderr (synchronous pipes on Linux), so the server drains the log without
 * waiting.
 */

const fs = require('fs');

const PREFIX = 8;

class FrameReader {
  constructor() {
    this.buffer = Buffer.alloc(0);
  }

  /** The whole frames in `chunk` (and what came before it), as [header, body] pairs. */
  feed(chunk) {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    const frames = [];
    while (this.buffer.length >= PREFIX) {
      const headLength = this.buffer.readUInt32BE(0);
      const bodyLength = this.buffer.readUInt32BE(4);
      const end = PREFIX + headLength + bodyLength;
      if (this.buffer.length < end) {
        break;
      }
      const header = JSON.parse(this.buffer.toString('utf8', PREFIX, PREFIX + headLength));
      frames.push([header, this.buffer.subarray(PREFIX + headLength, end)]);
      this.buffer = this.buffer.subarray(end);
    }
    return frames;
  }
}

function writeAll(fd, buffer) {
  let offset = 0;
  while (offset < buffer.length) {
    try {
      offset += fs.writeSync(fd, buffer, offset, buffer.length - offset);
    } catch (error) {
      if (error.code !== 'EAGAIN') {
        throw error;
      }
    }
  }
}

/** Write one frame to `fd`: `header` as JSON, `body` a Buffer or a string. */
function writeFrame(fd, header, body) {
  const head = Buffer.from(JSON.stringify(header));
  const payload = body === undefined ? Buffer.alloc(0) : Buffer.from(body);
  const prefix = Buffer.allocUnsafe(PREFIX);
  prefix.writeUInt32BE(head.length, 0);
  prefix.writeUInt32BE(payload.length, 4);
  writeAll(fd, Buffer.concat([prefix, head, payload]));
}

module.exports = { FrameReader, writeFrame };
