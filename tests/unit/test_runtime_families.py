"""The runtime families ``app.py`` wires: which family runs a runtime id, and what it needs."""

from __future__ import annotations

from pathlib import Path

import pytest

from lambdaport.lambda_.validation import SUPPORTED_RUNTIMES
from lambdaport.runtime.families import (
    CustomFamily,
    NodeFamily,
    PythonFamily,
    RuntimeFamilies,
    UnsupportedRuntime,
)
from lambdaport.runtime.spec import FunctionSpec


def _spec(runtime: str) -> FunctionSpec:
    return FunctionSpec(
        "f", "arn", "$LATEST", runtime, "app.handler", "/code", "r", 128, 3, "r", "a", "/g"
    )


def test_every_runtime_the_lambda_api_takes_has_a_family(tmp_path: Path) -> None:
    families = RuntimeFamilies(PythonFamily(), NodeFamily(tmp_path), CustomFamily())
    kinds = {runtime: type(families.family(runtime)) for runtime in SUPPORTED_RUNTIMES}
    assert {kind for kind in kinds.values()} == {PythonFamily, NodeFamily, CustomFamily}
    assert kinds["python3.12"] is PythonFamily
    assert kinds["nodejs22.x"] is NodeFamily
    assert kinds["provided.al2023"] is CustomFamily


def test_families_say_what_their_runtimes_need() -> None:
    families = RuntimeFamilies(PythonFamily(), CustomFamily())
    python, custom = families.family("python3.13"), families.family("provided.al2")
    assert python.json_payloads
    assert not custom.json_payloads
    assert python.environment(_spec("python3.13")) == {"AWS_EXECUTION_ENV": "AWS_Lambda_python3.13"}
    assert custom.environment(_spec("provided.al2")) == {}
    with pytest.raises(UnsupportedRuntime) as raised:
        families.family("java21")
    assert isinstance(raised.value, NotImplementedError)
    with pytest.raises(UnsupportedRuntime):
        RuntimeFamilies(CustomFamily()).family("python3.12")


def test_node_functions_see_the_sdk_then_their_code_on_node_path(tmp_path: Path) -> None:
    node = NodeFamily(tmp_path)
    assert node.json_payloads
    env = node.environment(_spec("nodejs20.x"))
    assert env["AWS_EXECUTION_ENV"] == "AWS_Lambda_nodejs20.x"
    sdk = tmp_path / "nodejs" / "aws-sdk-v3" / "node_modules"
    assert env["NODE_PATH"].split(":") == [str(sdk), "/code"]
