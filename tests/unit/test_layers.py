"""The package's dependency direction, as docs/architecture.md writes it down, read from
every module's imports (``ast``; imports inside functions and ``TYPE_CHECKING`` blocks
count too): ``gateway → services, lambda_ → invoke → runtime``, with the seam's own types
(``asgi``, ``endpoint``), the wire protocols, errors, the request context, the store and
the config at the bottom, where every layer may use them. And decisions about an error are
made by its kind, never by comparing its code with a string."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import lambdaport

PACKAGE = Path(lambdaport.__file__).parent
WIRING = ("lambdaport.app", "lambdaport.cli", "lambdaport.testing", "lambdaport.__main__")
BOTTOM = (
    "lambdaport.asgi",
    "lambdaport.endpoint",
    "lambdaport.protocol",
    "lambdaport.errors",
    "lambdaport.request",
    "lambdaport.store",
    "lambdaport.config",
    "lambdaport.events",
)
# Each layer, and what it never imports.
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "lambdaport.services": ("lambdaport.gateway", "lambdaport.lambda_", *WIRING),
    "lambdaport.lambda_": ("lambdaport.gateway", "lambdaport.http_fronts", *WIRING),
    # The HTTP fronts reach functions through invoke.triggers, the function URLs and APIs
    # they serve through protocols app.py hands in (the moto tail's REST APIs through
    # services.interfaces.RestApis, where services meet: see MEETING_PLACES).
    "lambdaport.http_fronts": (
        "lambdaport.gateway",
        "lambdaport.lambda_",
        "lambdaport.services",
        *WIRING,
    ),
    # The event source mappings' engine: below the control plane, beside the services (met
    # in services.interfaces), above invoke.
    "lambdaport.esm": (
        "lambdaport.gateway",
        "lambdaport.lambda_",
        "lambdaport.http_fronts",
        *WIRING,
    ),
    "lambdaport.invoke": (
        "lambdaport.gateway",
        "lambdaport.services",
        "lambdaport.lambda_",
        *WIRING,
    ),
    "lambdaport.runtime": (
        "lambdaport.invoke",
        "lambdaport.services",
        "lambdaport.lambda_",
        "lambdaport.gateway",
        *WIRING,
    ),
    **{
        bottom: (
            "lambdaport.gateway",
            "lambdaport.services",
            "lambdaport.lambda_",
            "lambdaport.invoke",
            "lambdaport.runtime",
            *WIRING,
        )
        for bottom in BOTTOM
    },
}
INTERFACES = "lambdaport.services.interfaces"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> Iterator[str]:
    """The lambdaport modules ``path`` imports, relative imports resolved."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                names = [".".join([*base, *([node.module] if node.module else [])])]
            else:
                names = [node.module or ""]
        else:
            continue
        yield from (name for name in names if name.split(".")[0] == "lambdaport")


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


# Layers that may meet services where services meet each other, and nowhere else.
MEETING_PLACES = {"lambdaport.http_fronts": INTERFACES}


def _broken(module: str, imported: str) -> list[str]:
    """The rules ``module`` breaks by importing ``imported``."""
    found = [
        f"{module} imports {imported} ({layer} never imports {banned})"
        for layer, forbidden in FORBIDDEN.items()
        if _within(module, layer)
        and not (layer in MEETING_PLACES and _within(imported, MEETING_PLACES[layer]))
        for banned in forbidden
        if _within(imported, banned)
    ]
    return found + _between_services(module, imported)


def _between_services(module: str, imported: str) -> list[str]:
    """A service reaches another, and ``lambda_`` and ``esm`` reach a service, only through
    ``services.interfaces``."""
    if _within(imported, INTERFACES) or not _within(imported, "lambdaport.services"):
        return []
    other = imported.split(".")[:3]
    if (
        _within(module, "lambdaport.lambda_")
        or _within(module, "lambdaport.esm")
        or (
            _within(module, "lambdaport.services")
            and len(other) == 3
            and module.split(".")[:3] != other
        )
    ):
        return [f"{module} imports {imported} (services are met only in {INTERFACES})"]
    return []


def test_imports_point_down() -> None:
    broken = [
        rule
        for path in _modules()
        for imported in _imports(path)
        for rule in _broken(_module_name(path), imported)
    ]
    assert broken == []


@pytest.mark.parametrize(
    ("module", "imported"),
    [
        ("lambdaport.services.s3.api", "lambdaport.gateway.asgi"),
        ("lambdaport.services.moto_tail", "lambdaport.gateway"),
        ("lambdaport.lambda_.api", "lambdaport.gateway.body"),
        ("lambdaport.invoke.invoker", "lambdaport.lambda_.resolver"),
        ("lambdaport.invoke.triggers", "lambdaport.services.interfaces"),
        ("lambdaport.runtime.pool", "lambdaport.invoke.model"),
        ("lambdaport.runtime.pool", "lambdaport.services.logs"),
        ("lambdaport.endpoint", "lambdaport.gateway.answers"),
        ("lambdaport.store.sqlite", "lambdaport.lambda_.models"),
        ("lambdaport.services.sns.delivery", "lambdaport.services.sqs.sink"),
        ("lambdaport.lambda_.functions", "lambdaport.services.s3.object_store"),
        ("lambdaport.esm.sqs", "lambdaport.services.sqs.reader"),
        ("lambdaport.esm.poller", "lambdaport.lambda_.registry"),
        ("lambdaport.http_fronts.rest.front", "lambdaport.services.moto_tail.apigateway"),
    ],
)
def test_an_upward_import_is_found(module: str, imported: str) -> None:
    assert _broken(module, imported)


@pytest.mark.parametrize(
    ("module", "imported"),
    [
        ("lambdaport.gateway.asgi", "lambdaport.endpoint"),
        ("lambdaport.app", "lambdaport.services.s3"),
        ("lambdaport.services.s3.api", "lambdaport.asgi"),
        ("lambdaport.services.sns.delivery", "lambdaport.invoke.triggers"),
        ("lambdaport.lambda_.functions", "lambdaport.services.interfaces"),
        ("lambdaport.invoke.invoker", "lambdaport.runtime.pool"),
        ("lambdaport.services.sns.api", "lambdaport.services.sns.topics"),
        ("lambdaport.services.sns.delivery", INTERFACES),
        ("lambdaport.http_fronts.rest.front", INTERFACES),
    ],
)
def test_a_downward_import_is_allowed(module: str, imported: str) -> None:
    assert _broken(module, imported) == []


def _code_compares(tree: ast.AST) -> Iterator[ast.AST]:
    """``x.code == "..."``, ``x.code in ("...", ...)``, ``x.code.startswith("...")``."""

    def is_code(node: ast.AST) -> bool:
        return isinstance(node, ast.Attribute) and node.attr == "code"

    def is_text(node: ast.AST) -> bool:
        if isinstance(node, ast.Constant):
            return isinstance(node.value, str)
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            return bool(node.elts) and all(is_text(element) for element in node.elts)
        return False

    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(is_code(side) for side in sides) and any(is_text(side) for side in sides):
                yield node
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("startswith", "endswith")
            and is_code(node.func.value)
        ):
            yield node


def test_no_decision_compares_an_error_code() -> None:
    found = [
        f"{path.relative_to(PACKAGE)}:{getattr(node, 'lineno', '?')}"
        for path in _modules()
        for node in _code_compares(ast.parse(path.read_text(), str(path)))
    ]
    assert found == []


@pytest.mark.parametrize(
    "source",
    [
        'if error.code == "ThrottlingException": pass',
        'retry = error.code in ("Throttling", "TooManyRequestsException")',
        'if error.code.startswith("MissingAuthentication"): pass',
    ],
)
def test_a_code_compare_would_be_found(source: str) -> None:
    assert list(_code_compares(ast.parse(source)))
