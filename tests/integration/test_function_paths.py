"""AWS's paths through a mount namespace (``--function-paths aws``): the code at
``/var/task``, the merged layers at ``/opt`` (both read-only), a private ``/tmp`` of the
function's EphemeralStorage size, shared with its extensions; the health document says which
mode is active. Skipped where the kernel refuses this user a mount namespace."""

from __future__ import annotations

import json
import os
import shutil
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from lambdaport.testing.aws import health
from lambdaport.testing.inprocess import InProcessServer
from lambdaport.testing.server import zip_files
from tests.helpers import ROLE, client_for, wait_active

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient

SOURCE = """\
import os, sys

def handler(event, context):
    import shared
    path = "/tmp/" + event["name"]
    with open(path, "w") as f:
        f.write("private")
    stat = os.statvfs("/tmp")
    try:
        open("/opt/python/written.txt", "w")
        opt_writable = True
    except OSError:
        opt_writable = False
    seen = None
    if os.path.exists("/tmp/extension-saw"):
        seen = open("/tmp/extension-saw").read()
    return {
        "file": __file__, "shared": shared.__file__, "task_root": os.environ["LAMBDA_TASK_ROOT"],
        "cwd": os.getcwd(), "tmp_mb": stat.f_blocks * stat.f_frsize // (1024 * 1024),
        "opt_writable": opt_writable, "path": os.environ["PATH"], "extension_saw": seen,
    }
"""

EXTENSION = """#!{python}
import json, os, sys, urllib.request
api = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"]
request = urllib.request.Request(api + "/2020-01-01/extension/register", method="POST",
    data=json.dumps({{"events": ["SHUTDOWN"]}}).encode(),
    headers={{"Lambda-Extension-Name": os.path.basename(sys.argv[0])}})
with urllib.request.urlopen(request) as answer:
    identifier = answer.headers["Lambda-Extension-Identifier"]
with open("/tmp/extension-saw", "w") as f:
    f.write(sys.argv[0])
request = urllib.request.Request(api + "/2020-01-01/extension/event/next",
    headers={{"Lambda-Extension-Identifier": identifier}})
urllib.request.urlopen(request).read()
"""


@pytest.fixture(scope="module")
def aws_paths(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LambdaClient]:
    data_dir = tmp_path_factory.mktemp("aws-paths") / "data"
    with InProcessServer(data_dir, extra_args=("--function-paths", "aws")) as server:
        if health(server.endpoint)["executionEnvironments"]["paths"] != "mount-namespace":
            pytest.skip("the kernel refuses this user a mount namespace")
        yield client_for(server.endpoint)


# The same, in Node.js: the handler's own path in a stack trace, a layer's package, /tmp.
NODE_SOURCE = """\
const fs = require('fs');
exports.handler = async (event) => {
  const shared = require('shared');
  fs.writeFileSync('/tmp/' + event.name, 'private');
  const stat = fs.statfsSync('/tmp');
  let optWritable = true;
  try {
    fs.writeFileSync('/opt/nodejs/node_modules/written.txt', 'x');
  } catch (error) {
    optWritable = false;
  }
  return {
    stack: new Error('where').stack.split('\\n')[1],
    shared: shared.where,
    task_root: process.env.LAMBDA_TASK_ROOT,
    cwd: process.cwd(),
    tmp_mb: (stat.blocks * stat.bsize) / (1024 * 1024),
    opt_writable: optWritable,
    runtime_api: process.env.AWS_LAMBDA_RUNTIME_API,
  };
};
"""


def _layer(client: LambdaClient, files: dict[str, str | bytes], modes: dict[str, int]) -> str:
    answer = client.publish_layer_version(
        LayerName=f"layer-{uuid.uuid4().hex[:8]}", Content={"ZipFile": zip_files(files, modes)}
    )
    return answer["LayerVersionArn"]


def _run(
    client: LambdaClient, layers: list[str], *, node: bool = False, **config: Any
) -> dict[str, Any]:
    name = f"fn-{uuid.uuid4().hex[:12]}"
    code = {"index.js": NODE_SOURCE} if node else {"app.py": SOURCE}
    client.create_function(
        FunctionName=name,
        Runtime="nodejs20.x" if node else "python3.12",
        Role=ROLE,
        Handler="index.handler" if node else "app.handler",
        Code={"ZipFile": zip_files(code)},
        Layers=layers,
        **config,
    )
    wait_active(client, name)
    answer = client.invoke(FunctionName=name, Payload=json.dumps({"name": name}).encode())
    payload: dict[str, Any] = json.loads(answer["Payload"].read())
    assert "FunctionError" not in answer, payload
    client.delete_function(FunctionName=name)
    assert not Path("/tmp", name).exists()  # the function's /tmp is its own
    return payload


def test_code_and_layers_at_aws_paths_with_a_private_tmp(aws_paths: LambdaClient) -> None:
    layer = _layer(
        aws_paths, {"python/shared.py": "X = 1\n", "bin/tool": "#!/bin/sh\n"}, {"bin/tool": 0o755}
    )
    seen = _run(aws_paths, [layer], EphemeralStorage={"Size": 1024})
    assert seen["file"] == "/var/task/app.py"
    assert seen["shared"] == "/opt/python/shared.py"
    assert seen["task_root"] == seen["cwd"] == "/var/task"
    assert seen["path"].endswith(":/opt/bin")
    assert seen["tmp_mb"] == 1024
    assert seen["opt_writable"] is False
    assert seen["extension_saw"] is None
    assert _run(aws_paths, [layer])["tmp_mb"] == 512  # EphemeralStorage's default


def test_extensions_see_opt_and_share_the_function_s_tmp(aws_paths: LambdaClient) -> None:
    # The interpreter itself, not a venv's link to it: a venv under /tmp is hidden from the
    # extension by the environment's own /tmp.
    extension = EXTENSION.format(python=os.path.realpath(sys.executable))
    layer = _layer(
        aws_paths,
        {"python/shared.py": "X = 1\n", "extensions/watcher": extension},
        {"extensions/watcher": 0o755},
    )
    seen = _run(aws_paths, [layer])
    assert seen["extension_saw"] == "/opt/extensions/watcher"


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
def test_a_node_function_at_aws_paths_with_a_private_tmp(aws_paths: LambdaClient) -> None:
    shared = "module.exports = { where: __filename };\n"
    layer = _layer(aws_paths, {"nodejs/node_modules/shared/index.js": shared}, {})
    seen = _run(aws_paths, [layer], node=True, EphemeralStorage={"Size": 1024})
    assert "(/var/task/index.js:" in seen["stack"]
    assert seen["shared"] == "/opt/nodejs/node_modules/shared/index.js"
    assert seen["task_root"] == seen["cwd"] == "/var/task"
    assert seen["tmp_mb"] == 1024
    assert seen["opt_writable"] is False
    assert seen["runtime_api"].startswith("127.0.0.1:")
