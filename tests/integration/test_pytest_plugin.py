"""lambdaport's pytest plugin: registered through its ``pytest11`` entry point (so loaded in
this very session too, beside ``tests/conftest.py``'s fixtures), and the README's example test
file passes when pytest runs it in a directory of its own, while a copy with a wrong
expectation fails (and the ``lambdaport_args`` ini option reaches ``lambdaport up``)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from importlib.metadata import entry_points
from pathlib import Path

import pytest

import lambdaport.testing.plugin

README = Path(__file__).resolve().parents[2] / "README.md"
PLUGIN_FIXTURES = (
    "lambdaport_server",
    "lambdaport_client",
    "lambdaport_function",
    "lambdaport_drain",
    "lambdaport_aws_env",
)
FIXTURE = re.compile(r"^@pytest\.fixture[^\n]*\ndef (\w+)\(", re.MULTILINE)


def readme_example() -> str:
    text = README.read_text()
    section = text[text.index("## Testing with pytest") :]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match is not None, "no python block under 'Testing with pytest'"
    return match.group(1)


def test_the_entry_point_loads_the_plugin(request: pytest.FixtureRequest) -> None:
    (point,) = (e for e in entry_points(group="pytest11") if e.name == "lambdaport")
    assert point.value == "lambdaport.testing.plugin"
    assert request.config.pluginmanager.get_plugin("lambdaport") is lambdaport.testing.plugin
    for name in PLUGIN_FIXTURES:
        assert getattr(lambdaport.testing.plugin, name) is not None


def test_no_plugin_fixture_meets_a_project_fixture() -> None:
    """The plugin's fixtures are all ``lambdaport_*``; the project's conftest files define
    none of those names (so neither shadows the other)."""
    plugin_source = Path(lambdaport.testing.plugin.__file__).read_text()
    assert re.findall(FIXTURE, plugin_source) == list(PLUGIN_FIXTURES)
    project = {
        name
        for conftest in README.parent.joinpath("tests").rglob("conftest.py")
        for name in re.findall(FIXTURE, conftest.read_text())
    }
    assert {"server", "lambda_client", "make_function"} <= project
    assert not project & set(PLUGIN_FIXTURES)


def test_the_readme_example_passes_and_a_broken_copy_fails(tmp_path: Path) -> None:
    example = readme_example()
    expected = 'assert [json.loads(m["Body"]) for m in messages] == [{"order": 42}]'
    assert example.count(expected) == 1, "the README example's last assertion moved"
    (tmp_path / "test_example.py").write_text(example)
    (tmp_path / "test_broken.py").write_text(example.replace('[{"order": 42}]', '[{"order": 7}]'))
    (tmp_path / "pytest.ini").write_text("[pytest]\nlambdaport_args = --async-delay-scale 0.5\n")
    (tmp_path / "test_args.py").write_text(
        "def test_up_got_the_ini_args(lambdaport_server):\n"
        "    assert lambdaport_server.process.args[-2:] == ['--async-delay-scale', '0.5']\n"
    )
    report = tmp_path / "report.xml"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "AWS_"))}
    result = subprocess.run(
        [
            sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-W", "error",
            f"--junitxml={report}", "--rootdir", str(tmp_path), str(tmp_path),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
        check=False,
    )  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr  # 1: some tests failed
    outcomes = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        failed = case.find("failure") is not None or case.find("error") is not None
        outcomes[case.get("classname")] = "failed" if failed else "passed"
    assert outcomes == {
        "test_example": "passed",
        "test_broken": "failed",
        "test_args": "passed",
    }, result.stdout
    assert "{'order': 42}" in result.stdout and "{'order': 7}" in result.stdout
