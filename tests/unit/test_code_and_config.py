from __future__ import annotations

import os
from pathlib import Path

import pytest

from lambdaport.config import load_settings
from lambdaport.errors import AwsError
from lambdaport.lambda_.code import CodeStore
from lambdaport.lambda_.models import Code, FunctionVersion
from lambdaport.lambda_.registry import FunctionRegistry
from lambdaport.lambda_.resolver import SPEC_CACHE_SIZE, Resolver
from lambdaport.store.sqlite import SqliteStore
from lambdaport.testing.server import zip_files


def test_zip_is_extracted_with_modes(tmp_path: Path) -> None:
    store = CodeStore(tmp_path)
    code = store.save_zip(
        zip_files({"bootstrap": "#!/bin/sh\n", "pkg/mod.py": "x = 1\n"}, {"bootstrap": 0o755})
    )
    root = store.code_dir(code)
    assert os.access(root / "bootstrap", os.X_OK)
    assert (root / "pkg" / "mod.py").read_text() == "x = 1\n"
    assert store.zip_path(code).is_file()
    again = store.save_zip(
        zip_files({"bootstrap": "#!/bin/sh\n", "pkg/mod.py": "x = 1\n"}, {"bootstrap": 0o755})
    )
    assert again == code


@pytest.mark.parametrize("name", ["../evil.py", "/abs.py", "a/../../evil.py"])
def test_traversal_is_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(AwsError) as excinfo:
        CodeStore(tmp_path / "code").save_zip(zip_files({name: "x"}))
    assert excinfo.value.code == "InvalidParameterValueException"
    assert not (tmp_path / "evil.py").exists()


def test_settings_precedence(tmp_path: Path) -> None:
    config = tmp_path / "lambdaport.toml"
    config.write_text('port = 5000\nhost = "127.0.0.2"\nkeep_alive_seconds = 3\n')
    settings = load_settings(
        {"host": "127.0.0.3", "port": None},
        environ={"LAMBDAPORT_PORT": "6000"},
        config_file=config,
    )
    assert (settings.host, settings.port, settings.keep_alive_seconds) == ("127.0.0.3", 6000, 3.0)
    assert settings.endpoint_url == "http://127.0.0.3:6000"


def test_unknown_setting_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "lambdaport.toml"
    config.write_text("nonsense = 1\n")
    with pytest.raises(ValueError, match="nonsense"):
        load_settings(environ={}, config_file=config)


def test_the_resolvers_spec_cache_is_bounded(tmp_path: Path) -> None:
    """Every update of a function makes a new spec; the resolver keeps only the recent ones."""
    store = SqliteStore(tmp_path / "data")
    try:
        resolver = Resolver(
            FunctionRegistry(store.documents), CodeStore(tmp_path / "code"), lambda *_: None
        )
        code = Code("sha", 1, "ab")
        specs = [
            resolver._spec(
                FunctionVersion(
                    "000000000000",
                    "us-east-1",
                    "f",
                    "$LATEST",
                    "python3.11",
                    "role",
                    "app.handler",
                    code,
                    revision_id=f"r{n}",
                )
            )
            for n in range(SPEC_CACHE_SIZE + 50)
        ]
        assert len(resolver._specs) == SPEC_CACHE_SIZE
        assert specs[-1].revision_id == f"r{SPEC_CACHE_SIZE + 49}"
    finally:
        store.close()
