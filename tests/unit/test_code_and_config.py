from __future__ import annotations

import os
from pathlib import Path

import pytest

from lambdaport.config import load_settings
from lambdaport.errors import AwsError
from lambdaport.lambda_.code import CodeStore
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
