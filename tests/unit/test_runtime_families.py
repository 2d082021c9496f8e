"""The runtime families ``app.py`` wires: which family runs a runtime id, and what it needs."""

from __future__ import annotations

import pytest

from lambdaport.lambda_.validation import SUPPORTED_RUNTIMES
from lambdaport.runtime.families import (
    CustomFamily,
    PythonFamily,
    RuntimeFamilies,
    UnsupportedRuntime,
)
from lambdaport.runtime.spec import FunctionSpec


def _spec(runtime: str) -> FunctionSpec:
    return FunctionSpec(
        "f", "arn", "$LATEST", runtime, "app.handler", "/code", "r", 128, 3, "r", "a", "/g"
    )


def test_every_runtime_the_lambda_api_takes_has_a_family() -> None:
    families = RuntimeFamilies(PythonFamily(), CustomFamily())
    kinds = {runtime: type(families.family(runtime)) for runtime in SUPPORTED_RUNTIMES}
    assert {kind for kind in kinds.values()} == {PythonFamily, CustomFamily}
    assert kinds["python3.12"] is PythonFamily
    assert kinds["provided.al2023"] is CustomFamily


def test_families_say_what_their_runtimes_need() -> None:
    families = RuntimeFamilies(PythonFamily(), CustomFamily())
    python, custom = families.family("python3.13"), families.family("provided.al2")
    assert python.json_payloads
    assert not custom.json_payloads
    assert python.environment(_spec("python3.13")) == {"AWS_EXECUTION_ENV": "AWS_Lambda_python3.13"}
    assert custom.environment(_spec("provided.al2")) == {}
    with pytest.raises(UnsupportedRuntime) as raised:
        families.family("nodejs22.x")
    assert isinstance(raised.value, NotImplementedError)
    with pytest.raises(UnsupportedRuntime):
        RuntimeFamilies(CustomFamily()).family("python3.12")
