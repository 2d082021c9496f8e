"""The Node.js managed runtimes through the Lambda API: handlers as AWS's runtime interface
client runs them, the context and environment, errors, console lines, warm reuse."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import uuid
from typing import TYPE_CHECKING, Any

import pytest

from lambdaport.testing.server import zip_files
from tests.conftest import MakeFunction

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")

RUNTIME = "nodejs20.x"
TIMESTAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"


def call(
    client: LambdaClient, name: str, event: object = None, **kwargs: Any
) -> tuple[Any, str | None, str]:
    """Invoke ``name`` with ``event``: (decoded payload, FunctionError, the log tail)."""
    response = client.invoke(
        FunctionName=name, Payload=json.dumps(event or {}).encode(), LogType="Tail", **kwargs
    )
    log = base64.b64decode(response["LogResult"]).decode()
    return json.loads(response["Payload"].read()), response.get("FunctionError"), log


def node_function(
    make_function: MakeFunction, files: dict[str, str], handler: str, **kw: Any
) -> str:
    runtime = kw.pop("runtime", RUNTIME)
    return make_function(files, handler=handler, runtime=runtime, **kw)


# -- module systems and handler paths ---------------------------------------------------------


ESM = "export const handler = async (event) => ({ kind: 'esm', event });\n"
CJS = "exports.handler = async (event) => ({ kind: 'cjs', event });\n"


@pytest.mark.parametrize(
    ("files", "handler", "kind"),
    [
        ({"index.mjs": ESM}, "index.handler", "esm"),
        ({"index.js": CJS}, "index.handler", "cjs"),
        ({"index.cjs": CJS}, "index.handler", "cjs"),
        ({"index.js": ESM, "package.json": '{"type": "module"}'}, "index.handler", "esm"),
        ({"src/api/routes.mjs": ESM}, "src/api/routes.handler", "esm"),
        (
            {"lib/app.js": "exports.api = { v1: { get: async () => ({ kind: 'nested' }) } };\n"},
            "lib/app.api.v1.get",
            "nested",
        ),
    ],
    ids=["mjs", "cjs-js", "cjs", "type-module", "dir-path", "member-path"],
)
def test_handler_forms(
    lambda_client: LambdaClient,
    make_function: MakeFunction,
    files: dict[str, str],
    handler: str,
    kind: str,
) -> None:
    name = node_function(make_function, files, handler)
    body, error, _ = call(lambda_client, name, {"n": 1})
    assert error is None, body
    assert body["kind"] == kind


def test_top_level_await_runs_once_at_init(
    lambda_client: LambdaClient, make_function: MakeFunction
) -> None:
    source = (
        "let inits = 0;\n"
        "const config = await new Promise((resolve) => setTimeout(() => resolve(++inits), 5));\n"
        "let calls = 0;\n"
        "export const handler = async () => ({ config, inits, calls: ++calls });\n"
    )
    name = node_function(make_function, {"index.mjs": source}, "index.handler")
    first, _, first_log = call(lambda_client, name)
    second, _, second_log = call(lambda_client, name)
    assert first == {"config": 1, "inits": 1, "calls": 1}
    assert second == {"config": 1, "inits": 1, "calls": 2}  # the same warm environment
    assert "Init Duration" in first_log and "Init Duration" not in second_log


# -- callbacks and the event loop --------------------------------------------------------------


def test_callback_waits_for_the_empty_event_loop(
    lambda_client: LambdaClient, make_function: MakeFunction
) -> None:
    source = (
        "exports.handler = (event, context, callback) => {\n"
        "  context.callbackWaitsForEmptyEventLoop = event.wait;\n"
        "  setTimeout(() => console.log('timer of', context.awsRequestId), 30);\n"
        "  callback(null, { waited: context.callbackWaitsForEmptyEventLoop });\n"
        "};\n"
    )
    name = node_function(make_function, {"index.js": source}, "index.handler")
    body, error, log = call(lambda_client, name, {"wait": True})
    assert (body, error) == ({"waited": True}, None)
    request_id = re.search(r"START RequestId: (\S+)", log)
    assert request_id is not None
    assert f"timer of {request_id.group(1)}" in log  # inside the invocation, before END
    body, error, log = call(lambda_client, name, {"wait": False})
    assert (body, error) == ({"waited": False}, None)
    request_id = re.search(r"START RequestId: (\S+)", log)
    assert request_id is not None
    assert f"timer of {request_id.group(1)}" not in log  # answered before the timer


def test_callback_errors_and_context_done(
    lambda_client: LambdaClient, make_function: MakeFunction
) -> None:
    source = (
        "exports.handler = (event, context, callback) => {\n"
        "  if (event.how === 'string') return callback('plain words');\n"
        "  if (event.how === 'succeed') return context.succeed({ via: 'succeed' });\n"
        "  if (event.how === 'done') return context.done(new TypeError('bad type'));\n"
        "  callback(null, { via: 'callback' });\n"
        "  callback(null, { via: 'second call, ignored' });\n"
        "};\n"
    )
    name = node_function(make_function, {"index.js": source}, "index.handler")
    assert call(lambda_client, name, {"how": "callback"})[:2] == ({"via": "callback"}, None)
    assert call(lambda_client, name, {"how": "succeed"})[:2] == ({"via": "succeed"}, None)
    body, error, _ = call(lambda_client, name, {"how": "string"})
    assert error == "Unhandled"
    assert body == {"errorType": "string", "errorMessage": "plain words", "trace": []}
    body, error, _ = call(lambda_client, name, {"how": "done"})
    assert (body["errorType"], body["errorMessage"], error) == (
        "TypeError",
        "bad type",
        "Unhandled",
    )


def test_a_sync_handler_that_never_answers_returns_null(
    lambda_client: LambdaClient, make_function: MakeFunction
) -> None:
    source = "exports.handler = (event) => { setTimeout(() => console.log('tick'), 5); };\n"
    name = node_function(make_function, {"index.js": source}, "index.handler")
    body, error, log = call(lambda_client, name)
    assert (body, error) == (None, None)
    assert "\tINFO\ttick" in log


# -- context and environment -------------------------------------------------------------------


CONTEXT = """
export const handler = async (event, context) => ({
  awsRequestId: context.awsRequestId,
  functionName: context.functionName,
  functionVersion: context.functionVersion,
  invokedFunctionArn: context.invokedFunctionArn,
  memoryLimitInMB: context.memoryLimitInMB,
  logGroupName: context.logGroupName,
  logStreamName: context.logStreamName,
  remaining: context.getRemainingTimeInMillis(),
  waits: context.callbackWaitsForEmptyEventLoop,
  clientContext: context.clientContext ?? null,
  identity: context.identity ?? null,
  env: Object.fromEntries(['AWS_EXECUTION_ENV', 'AWS_LAMBDA_FUNCTION_NAME', '_HANDLER',
    'AWS_REGION', 'LAMBDA_TASK_ROOT', 'TZ', '_X_AMZN_TRACE_ID', 'AWS_ENDPOINT_URL',
    'AWS_LAMBDA_FUNCTION_MEMORY_SIZE', 'MY_SETTING', 'NODE_PATH'].map((k) => [k, process.env[k]])),
  cwd: process.cwd(),
  globalAwslambda: typeof awslambda.streamifyResponse,
});
"""


def test_context_object_and_environment(
    lambda_client: LambdaClient, make_function: MakeFunction, server: Any
) -> None:
    name = node_function(
        make_function,
        {"index.mjs": CONTEXT},
        "index.handler",
        MemorySize=256,
        Timeout=7,
        Environment={"Variables": {"MY_SETTING": "on"}},
    )
    version = lambda_client.publish_version(FunctionName=name)["Version"]
    custom = base64.b64encode(json.dumps({"custom": {"k": "v"}}).encode()).decode()
    response = lambda_client.invoke(
        FunctionName=name, Qualifier=version, Payload=b"{}", ClientContext=custom, LogType="Tail"
    )
    body = json.loads(response["Payload"].read())
    log = base64.b64decode(response["LogResult"]).decode()
    request_id = response["ResponseMetadata"]["RequestId"]
    assert body["awsRequestId"] == request_id and f"START RequestId: {request_id}" in log
    assert body["functionName"] == name
    assert body["functionVersion"] == version
    assert body["invokedFunctionArn"].endswith(f":function:{name}:{version}")
    assert body["memoryLimitInMB"] == "256"  # a string, as on AWS
    assert body["logGroupName"] == f"/aws/lambda/{name}"
    assert re.fullmatch(
        r"\d{4}/\d\d/\d\d/\[" + re.escape(version) + r"\][0-9a-f]{32}", body["logStreamName"]
    )
    assert 0 < body["remaining"] <= 7000
    assert body["waits"] is True
    assert body["clientContext"] == {"custom": {"k": "v"}}
    assert body["identity"] is None
    env = body["env"]
    assert env["AWS_EXECUTION_ENV"] == "AWS_Lambda_nodejs20.x"
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == name and env["_HANDLER"] == "index.handler"
    assert env["AWS_REGION"] == "us-east-1" and env["TZ"] == ":UTC"
    assert env["LAMBDA_TASK_ROOT"] == body["cwd"]
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256" and env["MY_SETTING"] == "on"
    assert env["_X_AMZN_TRACE_ID"].startswith("Root=1-")
    assert env["AWS_ENDPOINT_URL"] == server.endpoint
    assert env["NODE_PATH"].split(":")[-1] == body["cwd"]
    assert body["globalAwslambda"] == "function"


# -- errors --------------------------------------------------------------------------------------


def test_handler_error_as_aws_serialises_it(
    lambda_client: LambdaClient, make_function: MakeFunction
) -> None:
    source = (
        "class OrderError extends Error { constructor(m) { super(m); this.name = 'OrderError'; "
        "this.orderId = 7; } }\n"
        "export const handler = async (event) => { throw new OrderError('no stock'); };\n"
    )
    name = node_function(make_function, {"index.mjs": source}, "index.handler")
    body, error, log = call(lambda_client, name)
    assert error == "Unhandled"
    assert set(body) == {"errorType", "errorMessage", "trace"}
    assert (body["errorType"], body["errorMessage"]) == ("OrderError", "no stock")
    assert body["trace"][0] == "OrderError: no stock"
    assert any("index.mjs:2:" in line for line in body["trace"][1:])
    line = next(line for line in log.splitlines() if "Invoke Error" in line)
    stamp, request_id, level, message = line.split("\t", 3)
    assert re.fullmatch(TIMESTAMP, stamp) and level == "ERROR"
    assert f"START RequestId: {request_id}" in log
    assert message.startswith("Invoke Error \t{")
    logged = json.loads(message.split("\t", 1)[1])
    assert logged["errorType"] == "OrderError" and logged["orderId"] == 7
    assert logged["stack"][0] == "OrderError: no stock"


@pytest.mark.parametrize(
    ("files", "handler", "error_type", "message"),
    [
        (
            {"index.mjs": ESM},
            "missing.handler",
            "Runtime.ImportModuleError",
            "Error: Cannot find module 'missing'",
        ),
        (
            {"index.mjs": ESM},
            "index.nope",
            "Runtime.HandlerNotFound",
            "index.nope is undefined or not exported",
        ),
        (
            {"index.js": "exports.value = 3;\n"},
            "index.value",
            "Runtime.HandlerNotFound",
            "index.value is not a function",
        ),
        (
            {"index.mjs": "export const handler = async () => {;\n"},
            "index.handler",
            "Runtime.UserCodeSyntaxError",
            "SyntaxError: ",
        ),
        (
            {"index.js": "exports.handler = async () => {;\n"},
            "index.handler",
            "Runtime.UserCodeSyntaxError",
            "SyntaxError: ",
        ),
        ({"index.mjs": ESM}, "index", "Runtime.MalformedHandlerName", "Bad handler"),
        (
            {"index.mjs": "import 'not-a-package';\nexport const handler = async () => 1;\n"},
            "index.handler",
            "Error",
            "Cannot find package 'not-a-package'",
        ),
        (
            {"index.mjs": "throw new RangeError('at init');\n"},
            "index.handler",
            "RangeError",
            "at init",
        ),
    ],
    ids=[
        "import",
        "not-exported",
        "not-a-function",
        "esm-syntax",
        "cjs-syntax",
        "malformed",
        "esm-package",
        "init-throws",
    ],
)
def test_init_errors(
    lambda_client: LambdaClient,
    make_function: MakeFunction,
    files: dict[str, str],
    handler: str,
    error_type: str,
    message: str,
) -> None:
    name = node_function(make_function, files, handler)
    body, error, log = call(lambda_client, name)
    assert error == "Unhandled"
    assert body["errorType"] == error_type
    assert body["errorMessage"].startswith(message), body
    assert body["trace"][0].startswith(error_type)
    line = next(line for line in log.splitlines() if "Uncaught Exception" in line)
    assert re.match(TIMESTAMP + r"\tundefined\tERROR\tUncaught Exception \t\{", line)
    # An init failure leaves no environment behind: the next invocation initialises again.
    again, _, again_log = call(lambda_client, name)
    assert again["errorType"] == error_type and "Uncaught Exception" in again_log


def test_unhandled_rejection_and_exit_end_the_environment(
    lambda_client: LambdaClient, make_function: MakeFunction
) -> None:
    source = (
        "let calls = 0;\n"
        "exports.handler = async (event) => {\n"
        "  calls += 1;\n"
        "  if (event.reject) { Promise.reject(new Error('nobody waits')); "
        "await new Promise((r) => setTimeout(r, 1000)); }\n"
        "  if (event.exit) process.exit(3);\n"
        "  return { calls };\n"
        "};\n"
    )
    name = node_function(make_function, {"index.js": source}, "index.handler")
    assert call(lambda_client, name)[0] == {"calls": 1}
    body, error, log = call(lambda_client, name, {"reject": True})
    assert error == "Unhandled"
    assert body["errorType"] == "Runtime.UnhandledPromiseRejection"
    assert body["errorMessage"] == "Error: nobody waits"
    assert "ERROR\tUnhandled Promise Rejection \t{" in log
    assert call(lambda_client, name)[0] == {"calls": 1}  # a new environment
    body, error, log = call(lambda_client, name, {"exit": True})
    assert error == "Unhandled"
    assert body["errorType"] == "Runtime.ExitError"
    assert body["errorMessage"].endswith("Runtime exited with error: exit status 3")
    assert call(lambda_client, name)[0] == {"calls": 1}


# -- console -----------------------------------------------------------------------------------


LOGGER = """
exports.handler = async () => {
  console.log('plain %s', 'text', { a: 1 });
  console.info('info');
  console.warn('warn');
  console.error('error', new Error('shown'));
  console.debug('debug');
  console.trace('trace');
  console.log('two\\nlines');
  return 'ok';
};
"""


def test_console_lines_in_aws_text_format(
    lambda_client: LambdaClient, make_function: MakeFunction
) -> None:
    name = node_function(make_function, {"index.js": LOGGER}, "index.handler")
    _, _, log = call(lambda_client, name)
    request_id = re.search(r"START RequestId: (\S+)", log)
    assert request_id is not None
    # A carriage return stays inside its log event: split on newlines only.
    lines = [line for line in log.split("\n") if re.match(TIMESTAMP + "\t", line)]
    parsed = [line.split("\t", 3) for line in lines]
    assert all(fields[1] == request_id.group(1) for fields in parsed)
    assert [(fields[2], fields[3].split("\r")[0]) for fields in parsed] == [
        ("INFO", "plain text { a: 1 }"),
        ("INFO", "info"),
        ("WARN", "warn"),
        ("ERROR", "error Error: shown"),
        ("DEBUG", "debug"),
        ("TRACE", "trace"),
        ("INFO", "two"),
    ]
    assert parsed[-1][3] == "two\rlines"  # one log event per call


def test_console_json_records_and_log_level(
    lambda_client: LambdaClient, make_function: MakeFunction
) -> None:
    variables = {"AWS_LAMBDA_LOG_FORMAT": "JSON", "AWS_LAMBDA_LOG_LEVEL": "INFO"}
    name = node_function(
        make_function,
        {"index.js": LOGGER},
        "index.handler",
        Environment={"Variables": variables},
    )
    _, _, log = call(lambda_client, name)
    records = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    assert [(r["level"], r["message"]) for r in records] == [
        ("INFO", "plain text { a: 1 }"),
        ("INFO", "info"),
        ("WARN", "warn"),
        ("ERROR", records[3]["message"]),
        ("INFO", "two\nlines"),
    ]  # DEBUG and TRACE are below AWS_LAMBDA_LOG_LEVEL
    assert all(re.fullmatch(TIMESTAMP, r["timestamp"]) for r in records)
    request_ids = {r["requestId"] for r in records}
    assert len(request_ids) == 1 and f"START RequestId: {request_ids.pop()}" in log
    error = records[3]
    assert error["message"].startswith("error Error: shown")
    assert (error["errorType"], error["errorMessage"]) == ("Error", "shown")
    assert error["stackTrace"][0] == "Error: shown"


# -- runtimes and versions ---------------------------------------------------------------------


def _installed_major() -> int:
    node = shutil.which("node")
    assert node is not None
    version = subprocess.run([node, "--version"], capture_output=True, check=True, text=True)
    return int(version.stdout.strip().lstrip("v").split(".")[0])


@pytest.mark.parametrize("runtime", ["nodejs18.x", "nodejs20.x", "nodejs22.x", "nodejs24.x"])
def test_each_node_runtime_runs_on_the_nearest_installed_node(
    lambda_client: LambdaClient, make_function: MakeFunction, runtime: str
) -> None:
    source = "export const handler = async () => process.version;\n"
    name = node_function(make_function, {"index.mjs": source}, "index.handler", runtime=runtime)
    version, error, log = call(lambda_client, name)
    assert error is None
    declared = int(runtime.removeprefix("nodejs").removesuffix(".x"))
    running = int(version.lstrip("v").split(".")[0])
    notice = f"lambdaport: Node.js {declared} ({runtime}) is not installed here;"
    if running == declared:
        assert "lambdaport:" not in log
    else:
        # This machine's PATH node is one of the candidates, so nothing runs further away.
        assert abs(running - declared) <= abs(_installed_major() - declared)
        first_line = log.splitlines()[0]
        assert first_line.startswith(notice) and f"runs on Node.js {version} (" in first_line
        assert "lambdaport:" not in call(lambda_client, name)[2]  # once per environment


# -- layers --------------------------------------------------------------------------------------


LAYER_FILES = {
    "nodejs/node_modules/greeter/index.js": "exports.word = 'from nodejs/node_modules';\n",
    "nodejs/node20/node_modules/versioned/index.js": "exports.word = 'from nodejs/node20';\n",
}


@pytest.mark.parametrize(
    ("files", "handler"),
    [
        (
            {
                "index.js": "const g = require('greeter'), v = require('versioned');\n"
                "exports.handler = async () => [g.word, v.word, require.resolve('greeter')];\n"
            },
            "index.handler",
        ),
        (
            {
                "index.mjs": "import g from 'greeter';\nimport v from 'versioned';\n"
                "export const handler = async () => [g.word, v.word, 'esm'];\n"
            },
            "index.handler",
        ),
    ],
    ids=["cjs", "esm"],
)
def test_a_function_imports_a_library_from_its_layer(
    lambda_client: LambdaClient, make_function: MakeFunction, files: dict[str, str], handler: str
) -> None:
    layer = lambda_client.publish_layer_version(
        LayerName=f"node-layer-{uuid.uuid4().hex[:8]}",
        Content={"ZipFile": zip_files(dict(LAYER_FILES))},
        CompatibleRuntimes=["nodejs20.x"],
    )
    try:
        name = node_function(make_function, files, handler, Layers=[layer["LayerVersionArn"]])
        body, error, _ = call(lambda_client, name)
        assert error is None, body
        assert body[:2] == ["from nodejs/node_modules", "from nodejs/node20"]
        assert body[2] == "esm" or body[2].endswith("/nodejs/node_modules/greeter/index.js")
    finally:
        version = int(layer["Version"])
        layer_name = layer["LayerArn"].rsplit(":", 1)[1]
        lambda_client.delete_layer_version(LayerName=layer_name, VersionNumber=version)


def test_a_timeout_ends_the_environment_and_the_next_call_starts_fresh(
    lambda_client: LambdaClient, make_function: MakeFunction
) -> None:
    source = (
        "let calls = 0;\n"
        "exports.handler = async (event) => {\n"
        "  calls += 1;\n"
        "  if (event.hang) await new Promise(() => setInterval(() => {}, 1000));\n"
        "  return { calls };\n"
        "};\n"
    )
    name = node_function(make_function, {"index.js": source}, "index.handler", Timeout=1)
    assert call(lambda_client, name)[0] == {"calls": 1}
    assert call(lambda_client, name)[0] == {"calls": 2}
    body, error, log = call(lambda_client, name, {"hang": True})
    assert error == "Unhandled" and body["errorType"] == "Sandbox.Timedout"
    assert "Task timed out after" in log and "Status: timeout" in log
    assert call(lambda_client, name)[0] == {"calls": 1}
