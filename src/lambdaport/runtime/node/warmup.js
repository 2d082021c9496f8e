'use strict';
// The handler a standby invokes once before its assignment (index.js, Worker.warmUp): it
// goes through what a function's first invocation would, so that is compiled ahead.
exports.handler = async (event, context) => ({
  event,
  remaining: context.getRemainingTimeInMillis() > 0,
});
