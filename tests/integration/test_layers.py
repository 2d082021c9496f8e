"""Layers through boto3 against a real server: PublishLayerVersion and its reads, lists,
deletes and policy with AWS's validation, and functions using layers — a library imported
from a layer, later layers overriding earlier ones, a layer's ``bin`` on PATH, another
account's layer only with its permission, 5 layers and 250 MB at most."""

from __future__ import annotations

import json
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pytest

from lambdaport.testing.aws import health
from lambdaport.testing.inprocess import InProcessServer
from lambdaport.testing.server import Server, zip_files
from tests.conftest import MakeFunction
from tests.helpers import ACCOUNT, REGION, client_error, client_for, client_options

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient

OTHER_ACCOUNT = "222233334444"
PublishLayer = Callable[..., dict[str, Any]]


@pytest.fixture
def publish_layer(lambda_client: LambdaClient) -> Iterator[PublishLayer]:
    """``publish_layer(files, name=None, client=None, **params)``: a layer version of
    ``files`` (a mapping as ``zip_files`` takes it); its versions are deleted after the test."""
    published: list[tuple[LambdaClient, str, int]] = []

    def publish(
        files: dict[str, str | bytes],
        *,
        name: str | None = None,
        client: LambdaClient | None = None,
        modes: dict[str, int] | None = None,
        **params: Any,
    ) -> dict[str, Any]:
        client = client or lambda_client
        layer_name = name or f"layer-{uuid.uuid4().hex[:10]}"
        answer: dict[str, Any] = dict(
            client.publish_layer_version(
                LayerName=layer_name, Content={"ZipFile": zip_files(files, modes)}, **params
            )
        )
        published.append((client, layer_name, int(answer["Version"])))
        return answer

    yield publish
    for client, name, version in published:
        client.delete_layer_version(LayerName=name, VersionNumber=version)


def _name(answer: dict[str, Any]) -> str:
    return str(answer["LayerArn"]).rsplit(":", 1)[1]


def _invoke(client: LambdaClient, name: str, event: object = None) -> Any:
    answer = client.invoke(FunctionName=name, Payload=json.dumps(event or {}).encode())
    payload = json.loads(answer["Payload"].read())
    assert "FunctionError" not in answer, payload
    return payload


# -- the API --------------------------------------------------------------------------------


def test_publish_get_list_and_delete_layer_versions(
    lambda_client: LambdaClient, publish_layer: PublishLayer
) -> None:
    files: dict[str, str | bytes] = {"python/greeting.py": "WORD = 'hello'\n"}
    first = publish_layer(
        files,
        Description="first",
        CompatibleRuntimes=["python3.12", "python3.13"],
        CompatibleArchitectures=["x86_64"],
        LicenseInfo="MIT",
    )
    name = _name(first)
    layer_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:{name}"
    assert first["LayerArn"] == layer_arn
    assert first["LayerVersionArn"] == f"{layer_arn}:1"
    assert first["Version"] == 1
    assert first["CompatibleRuntimes"] == ["python3.12", "python3.13"]
    assert first["CompatibleArchitectures"] == ["x86_64"]
    assert first["LicenseInfo"] == "MIT"
    assert first["Content"]["CodeSize"] == len(zip_files(files))
    with urllib.request.urlopen(first["Content"]["Location"], timeout=10) as download:
        assert download.read() == zip_files(files)
    second = publish_layer(files, name=name, CompatibleRuntimes=["nodejs22.x"])
    assert second["Version"] == 2

    got = lambda_client.get_layer_version(LayerName=name, VersionNumber=1)
    assert got["LayerVersionArn"] == first["LayerVersionArn"]
    assert got["Description"] == "first"
    assert got["Content"]["CodeSha256"] == first["Content"]["CodeSha256"]
    by_arn = lambda_client.get_layer_version_by_arn(Arn=second["LayerVersionArn"])
    assert by_arn["Version"] == 2
    by_layer_arn = lambda_client.get_layer_version(LayerName=layer_arn, VersionNumber=2)
    assert by_layer_arn["LayerVersionArn"] == second["LayerVersionArn"]

    versions = lambda_client.list_layer_versions(LayerName=name)["LayerVersions"]
    assert [v["Version"] for v in versions] == [2, 1]  # newest first
    python = lambda_client.list_layer_versions(LayerName=name, CompatibleRuntime="python3.13")
    assert [v["Version"] for v in python["LayerVersions"]] == [1]
    paged = lambda_client.list_layer_versions(LayerName=name, MaxItems=1)
    assert [v["Version"] for v in paged["LayerVersions"]] == [2]
    rest = lambda_client.list_layer_versions(LayerName=name, Marker=paged["NextMarker"])
    assert [v["Version"] for v in rest["LayerVersions"]] == [1]

    layers = {x["LayerName"]: x for x in lambda_client.list_layers()["Layers"]}
    assert layers[name]["LatestMatchingVersion"]["Version"] == 2
    for_python = {
        x["LayerName"]: x
        for x in lambda_client.list_layers(CompatibleRuntime="python3.12")["Layers"]
    }
    assert for_python[name]["LatestMatchingVersion"]["Version"] == 1
    arm = lambda_client.list_layers(CompatibleArchitecture="arm64")["Layers"]
    assert name not in {x["LayerName"] for x in arm}

    lambda_client.delete_layer_version(LayerName=name, VersionNumber=2)
    lambda_client.delete_layer_version(LayerName=name, VersionNumber=2)  # not there: 204 too
    assert client_error(lambda_client.get_layer_version, LayerName=name, VersionNumber=2) == (
        "ResourceNotFoundException",
        "The resource you requested does not exist.",
        404,
    )
    third = publish_layer(files, name=name)
    assert third["Version"] == 3  # a number is never given twice


def test_layer_requests_are_validated_as_aws_validates_them(
    lambda_client: LambdaClient, publish_layer: PublishLayer
) -> None:
    package = {"Content": {"ZipFile": zip_files({"a.txt": "a"})}}
    code, message, status = client_error(
        lambda_client.publish_layer_version,
        LayerName="bad-runtime",
        CompatibleRuntimes=["python2.0"],
        **package,
    )
    assert (code, status) == ("ValidationException", 400)
    assert message.startswith(
        "1 validation error detected: Value '[python2.0]' at 'compatibleRuntimes' failed to "
        "satisfy constraint: Member must satisfy enum value set: ["
    )
    code, _, status = client_error(
        lambda_client.publish_layer_version,
        LayerName="bad-arch",
        CompatibleArchitectures=["sparc"],
        **package,
    )
    assert (code, status) == ("ValidationException", 400)
    code, message, _ = client_error(
        lambda_client.publish_layer_version, LayerName="bad zip", **package
    )
    assert code == "ValidationException"  # the name's pattern
    assert client_error(
        lambda_client.publish_layer_version,
        LayerName="not-a-zip",
        Content={"ZipFile": b"not a zip"},
    ) == (
        "InvalidParameterValueException",
        "Could not unzip uploaded file. Please check your file, then try to upload again.",
        400,
    )
    assert client_error(lambda_client.get_layer_version, LayerName="x", VersionNumber=0) == (
        "InvalidParameterValueException",
        "Layer Version Cannot be less than 1",
        400,
    )
    assert client_error(lambda_client.get_layer_version, LayerName="none", VersionNumber=1)[0] == (
        "ResourceNotFoundException"
    )
    code, _, _ = client_error(lambda_client.list_layers, CompatibleRuntime="cobol85")
    assert code == "ValidationException"
    name = _name(publish_layer({"a.txt": "a"}))
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:{name}:1"
    assert client_error(
        lambda_client.get_layer_version_policy, LayerName=name, VersionNumber=1
    ) == ("ResourceNotFoundException", "No policy is associated with the given resource.", 404)
    assert client_error(
        lambda_client.get_layer_version_policy, LayerName=name, VersionNumber=7
    ) == ("ResourceNotFoundException", f"Layer version {arn[:-1]}7 does not exist.", 404)


def test_layer_version_policy_statements(
    lambda_client: LambdaClient, publish_layer: PublishLayer
) -> None:
    name = _name(publish_layer({"a.txt": "a"}))
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:{name}:1"
    added = lambda_client.add_layer_version_permission(
        LayerName=name,
        VersionNumber=1,
        StatementId="xaccount",
        Action="lambda:GetLayerVersion",
        Principal=OTHER_ACCOUNT,
    )
    assert json.loads(added["Statement"]) == {
        "Sid": "xaccount",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{OTHER_ACCOUNT}:root"},
        "Action": "lambda:GetLayerVersion",
        "Resource": arn,
    }
    again: dict[str, Any] = dict(
        LayerName=name,
        VersionNumber=1,
        StatementId="xaccount",
        Action="lambda:GetLayerVersion",
        Principal="*",
    )
    assert client_error(lambda_client.add_layer_version_permission, **again) == (
        "ResourceConflictException",
        "The statement id (xaccount) provided already exists. Please provide a new statement "
        "id, or remove the existing statement.",
        409,
    )
    stale = {**again, "StatementId": "all", "RevisionId": "stale"}
    assert client_error(lambda_client.add_layer_version_permission, **stale)[2] == 412
    everyone = lambda_client.add_layer_version_permission(
        **{**again, "StatementId": "all", "RevisionId": added["RevisionId"]}
    )
    policy = lambda_client.get_layer_version_policy(LayerName=name, VersionNumber=1)
    assert policy["RevisionId"] == everyone["RevisionId"] != added["RevisionId"]
    document = json.loads(policy["Policy"])
    assert document["Version"] == "2012-10-17"
    assert [s["Sid"] for s in document["Statement"]] == ["xaccount", "all"]
    assert document["Statement"][1]["Principal"] == "*"
    code, _, _ = client_error(
        lambda_client.add_layer_version_permission, **{**again, "Action": "lambda:Invoke"}
    )
    assert code == "ValidationException"
    lambda_client.remove_layer_version_permission(
        LayerName=name, VersionNumber=1, StatementId="all"
    )
    assert client_error(
        lambda_client.remove_layer_version_permission,
        LayerName=name,
        VersionNumber=1,
        StatementId="all",
    ) == ("ResourceNotFoundException", "Statement all is not found in resource policy.", 404)
    remaining = lambda_client.get_layer_version_policy(LayerName=name, VersionNumber=1)
    assert [s["Sid"] for s in json.loads(remaining["Policy"])["Statement"]] == ["xaccount"]


def test_layer_content_from_s3(lambda_client: LambdaClient, publish_layer: PublishLayer) -> None:
    endpoint = lambda_client.meta.endpoint_url
    s3 = boto3.client("s3", **client_options(endpoint))
    bucket = f"layers-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=bucket)
    package = zip_files({"python/from_s3.py": "VALUE = 's3'\n"})
    s3.put_object(Bucket=bucket, Key="layer.zip", Body=package)
    name = f"layer-{uuid.uuid4().hex[:10]}"
    answer = lambda_client.publish_layer_version(
        LayerName=name, Content={"S3Bucket": bucket, "S3Key": "layer.zip"}
    )
    try:
        assert answer["Content"]["CodeSize"] == len(package)
        code, message, _ = client_error(
            lambda_client.publish_layer_version,
            LayerName=name,
            Content={"S3Bucket": bucket, "S3Key": "missing.zip"},
        )
        assert code == "InvalidParameterValueException"
        assert message.startswith("Error occurred while GetObject. S3 Error Code: NoSuchKey.")
    finally:
        lambda_client.delete_layer_version(LayerName=name, VersionNumber=answer["Version"])


# -- functions using layers -------------------------------------------------------------------

IMPORTS = """\
import greeting, sitelib

def handler(event, context):
    return {"word": greeting.WORD, "site": sitelib.NAME, "file": greeting.__file__}
"""


def test_a_function_imports_a_library_from_its_layer(
    lambda_client: LambdaClient, make_function: MakeFunction, publish_layer: PublishLayer
) -> None:
    layer = publish_layer(
        {
            "python/greeting.py": "WORD = 'from the layer'\n",
            "python/lib/python3.12/site-packages/sitelib/__init__.py": "NAME = 'site'\n",
        }
    )
    name = make_function(IMPORTS, runtime="python3.12", Layers=[layer["LayerVersionArn"]])
    answer = _invoke(lambda_client, name)
    assert answer["word"] == "from the layer"
    assert answer["site"] == "site"
    assert answer["file"].endswith("/python/greeting.py")
    config = lambda_client.get_function(FunctionName=name)["Configuration"]
    assert config["Layers"] == [
        {"Arn": layer["LayerVersionArn"], "CodeSize": layer["Content"]["CodeSize"]}
    ]
    # Deleting the layer version does not take it from the function (as on AWS).
    lambda_client.delete_layer_version(LayerName=_name(layer), VersionNumber=1)
    lambda_client.update_function_configuration(FunctionName=name, Timeout=5)
    lambda_client.get_waiter("function_updated_v2").wait(FunctionName=name)
    assert _invoke(lambda_client, name)["word"] == "from the layer"


ORDER = """\
import shared, only_first

def handler(event, context):
    return {"shared": shared.WHO, "first": only_first.WHO, "code": __import__("mine").WHO}
"""


def test_later_layers_override_earlier_ones_and_the_code_overrides_all(
    lambda_client: LambdaClient, make_function: MakeFunction, publish_layer: PublishLayer
) -> None:
    first = publish_layer(
        {
            "python/shared.py": "WHO = 'first'\n",
            "python/only_first.py": "WHO = 'first'\n",
            "python/mine.py": "WHO = 'layer'\n",
        }
    )
    second = publish_layer({"python/shared.py": "WHO = 'second'\n"})
    arns = [first["LayerVersionArn"], second["LayerVersionArn"]]
    files: dict[str, str | bytes] = {"app.py": ORDER, "mine.py": "WHO = 'code'\n"}
    name = make_function(files, Layers=arns)
    assert _invoke(lambda_client, name) == {"shared": "second", "first": "first", "code": "code"}
    lambda_client.update_function_configuration(FunctionName=name, Layers=arns[::-1])
    lambda_client.get_waiter("function_updated_v2").wait(FunctionName=name)
    assert _invoke(lambda_client, name)["shared"] == "first"
    configured = lambda_client.get_function_configuration(FunctionName=name)["Layers"]
    assert [layer["Arn"] for layer in configured] == arns[::-1]


TOOLS = """\
import os, subprocess

def handler(event, context):
    done = subprocess.run(["greet", "layers"], capture_output=True, text=True, check=True)
    return {"out": done.stdout, "libraries": os.environ["LD_LIBRARY_PATH"],
            "pythonpath": os.environ.get("PYTHONPATH", "")}
"""


def test_a_layers_bin_is_on_path_and_its_lib_on_the_library_path(
    lambda_client: LambdaClient, make_function: MakeFunction, publish_layer: PublishLayer
) -> None:
    layer = publish_layer(
        {"bin/greet": '#!/bin/sh\necho "hello $1"\n', "lib/libnothing.txt": "x"},
        modes={"bin/greet": 0o755},
    )
    name = make_function(TOOLS, runtime="python3.12", Layers=[layer["LayerVersionArn"]])
    answer = _invoke(lambda_client, name)
    assert answer["out"] == "hello layers\n"
    opt = answer["libraries"].split(":")[-1]
    assert opt.endswith("/lib") and Path(opt, "libnothing.txt").is_file()
    assert answer["pythonpath"].split(":") == [
        f"{opt[:-4]}/python/lib/python3.12/site-packages",
        f"{opt[:-4]}/python",
    ]
    # The health document says where environments find code and layers.
    assert health(lambda_client.meta.endpoint_url)["executionEnvironments"] == {
        "paths": "directories"
    }


BOOTSTRAP = """#!/bin/sh
api="http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime"
while true; do
  id=$(curl -sS -D - -o /dev/null "$api/invocation/next" | tr -d '\\r' |
    sed -n 's/^[Ll]ambda-[Rr]untime-[Aa]ws-[Rr]equest-[Ii]d: //p')
  curl -sS -X POST "$api/invocation/$id/response" -d '"from the layer runtime"' >/dev/null
done
"""


def test_a_custom_runtime_s_bootstrap_may_come_from_a_layer(
    lambda_client: LambdaClient, publish_layer: PublishLayer
) -> None:
    layer = publish_layer({"bootstrap": BOOTSTRAP}, modes={"bootstrap": 0o755})
    name = f"fn-{uuid.uuid4().hex[:12]}"
    lambda_client.create_function(
        FunctionName=name,
        Runtime="provided.al2023",
        Role=f"arn:aws:iam::{ACCOUNT}:role/r",
        Handler="any",
        Code={"ZipFile": zip_files({"README": "code without a bootstrap"})},
        Layers=[layer["LayerVersionArn"]],
    )
    try:
        lambda_client.get_waiter("function_active_v2").wait(FunctionName=name)
        assert _invoke(lambda_client, name) == "from the layer runtime"
        lambda_client.update_function_configuration(FunctionName=name, Layers=[])
        lambda_client.get_waiter("function_updated_v2").wait(FunctionName=name)
        answer = lambda_client.invoke(FunctionName=name)
        error = json.loads(answer["Payload"].read())
        assert error["errorType"] == "Runtime.InvalidEntrypoint"
        assert "Couldn't find valid bootstrap(s): [" in error["errorMessage"]
    finally:
        lambda_client.delete_function(FunctionName=name)


def test_functions_name_at_most_five_existing_layers_one_version_each(
    lambda_client: LambdaClient, make_function: MakeFunction, publish_layer: PublishLayer
) -> None:
    arns = [publish_layer({f"f{i}.txt": "x"})["LayerVersionArn"] for i in range(6)]
    assert client_error(make_function, Layers=arns) == (
        "InvalidParameterValueException",
        "Cannot reference more than 5 layers.",
        400,
    )
    assert make_function(Layers=arns[:5])
    name = _name(publish_layer({"a.txt": "1"}))
    v1 = f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:{name}:1"
    v2 = publish_layer({"a.txt": "2"}, name=name)["LayerVersionArn"]
    assert client_error(make_function, Layers=[v1, v2]) == (
        "InvalidParameterValueException",
        "Two different versions of the same layer are not allowed to be referenced in the "
        f"same function. {v1} and {v2} are versions of the same layer.",
        400,
    )
    west = f"arn:aws:lambda:eu-west-1:{ACCOUNT}:layer:{name}:1"
    assert client_error(make_function, Layers=[west]) == (
        "InvalidParameterValueException",
        "Layers are not in the same region as the function. Layers are expected to be in "
        f"region {REGION}.",
        400,
    )
    code, _, _ = client_error(make_function, Layers=[f"{v1[:-2]}"])
    assert code == "ValidationException"  # not a version ARN: the model's pattern


def test_function_code_and_layers_are_at_most_250_mb_unzipped(
    make_function: MakeFunction, publish_layer: PublishLayer
) -> None:
    limit = 262_144_000
    big = publish_layer({"big.bin": bytes(limit - 100)})
    code, message, _ = client_error(
        make_function, {"app.py": "x" * 200}, Layers=[big["LayerVersionArn"]]
    )
    assert code == "InvalidParameterValueException"
    assert message == (
        "Function code combined with layers exceeds the maximum allowed size of 262144000 "
        "bytes. The actual size is 262144100 bytes."
    )


def test_another_accounts_layer_only_with_its_permission(
    lambda_client: LambdaClient, make_function: MakeFunction, publish_layer: PublishLayer
) -> None:
    other = client_for(lambda_client.meta.endpoint_url, OTHER_ACCOUNT)
    layer = publish_layer({"python/shared_lib.py": "WHO = 'owner'\n"}, client=other)
    arn = layer["LayerVersionArn"]
    assert arn.split(":")[4] == OTHER_ACCOUNT
    source = "import shared_lib\n\ndef handler(e, c):\n    return shared_lib.WHO\n"
    denied = (
        "AccessDeniedException",
        f"User: arn:aws:iam::{ACCOUNT}:root is not authorized to perform: "
        f"lambda:GetLayerVersion on resource: {arn} because no resource-based policy allows "
        "the lambda:GetLayerVersion action",
        403,
    )
    assert client_error(make_function, source, Layers=[arn]) == denied
    assert client_error(lambda_client.get_layer_version_by_arn, Arn=arn) == denied
    layer_name = arn.rsplit(":", 1)[0]
    code, _, status = client_error(
        lambda_client.add_layer_version_permission,
        LayerName=layer_name,
        VersionNumber=1,
        StatementId="mine",
        Action="lambda:GetLayerVersion",
        Principal=ACCOUNT,
    )
    assert (code, status) == ("AccessDeniedException", 403)  # only the owner shares it

    other.add_layer_version_permission(
        LayerName=_name(layer),
        VersionNumber=1,
        StatementId="share",
        Action="lambda:GetLayerVersion",
        Principal=ACCOUNT,
    )
    assert lambda_client.get_layer_version_by_arn(Arn=arn)["Version"] == 1
    name = make_function(source, Layers=[arn])
    assert _invoke(lambda_client, name) == "owner"
    other.remove_layer_version_permission(
        LayerName=_name(layer), VersionNumber=1, StatementId="share"
    )
    assert client_error(make_function, source, Layers=[arn]) == denied
    assert _invoke(lambda_client, name) == "owner"  # what was configured keeps working


def test_layers_are_durable(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    package = zip_files({"python/kept.py": "VALUE = 'kept'\n"})
    source = "import kept\n\ndef handler(e, c):\n    return kept.VALUE\n"
    with InProcessServer(data_dir) as first:
        client = _client(first)
        arn = client.publish_layer_version(LayerName="kept", Content={"ZipFile": package})[
            "LayerVersionArn"
        ]
        client.create_function(
            FunctionName="keeps-layers",
            Runtime="python3.12",
            Role=f"arn:aws:iam::{ACCOUNT}:role/r",
            Handler="app.handler",
            Code={"ZipFile": zip_files({"app.py": source})},
            Layers=[arn],
        )
    with InProcessServer(data_dir) as second:
        client = _client(second)
        assert client.get_layer_version_by_arn(Arn=arn)["Content"]["CodeSize"] == len(package)
        client.get_waiter("function_active_v2").wait(FunctionName="keeps-layers")
        assert _invoke(client, "keeps-layers") == "kept"
        next_version = client.publish_layer_version(LayerName="kept", Content={"ZipFile": package})
        assert next_version["Version"] == 2


def _client(server: Server) -> LambdaClient:
    return client_for(server.endpoint)
