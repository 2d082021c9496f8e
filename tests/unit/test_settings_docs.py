"""The README's configuration table names every setting and every flag of ``up``."""

from __future__ import annotations

from pathlib import Path

import click

from lambdaport.cli.main import up
from lambdaport.config import _ENV_NAMES

README = Path(__file__).resolve().parents[2] / "README.md"


def _configuration_section() -> str:
    text = README.read_text()
    start = text.index("## Configuration")
    return text[start : text.index("\n## ", start + 1)]


def test_configuration_table_lists_every_setting_and_flag() -> None:
    section = _configuration_section()
    missing = [name for name in _ENV_NAMES.values() if f"`{name}`" not in section]
    flags = [
        flag
        for param in up.params
        if isinstance(param, click.Option)
        for flag in param.opts
        if flag.startswith("--")
    ]
    missing += [flag for flag in flags if f"`{flag}" not in section]
    assert not missing, f"not in the README's configuration section: {missing}"
