"""lambdaport's pytest plugin: registered through its ``pytest11`` entry point (so loaded in
this very session too, beside ``tests/conftest.py``'s fixtures), and the README's example test
file passes when pytest runs it in a directory of its own, while a copy with a wrong
expectation fails (and the ``lambdaport_args`` ini option reaches ``lambdaport up``); with
``lambdaport_in_process = true`` the example passes against a server in the test process."""

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


def run_pytest(directory: Path) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    """pytest in ``directory`` (warnings are errors): the run and each test module's outcome."""
    report = directory / "report.xml"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "AWS_"))}
    result = subprocess.run(
        [
            sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-W", "error",
            f"--junitxml={report}", "--rootdir", str(directory), str(directory),
        ],
        cwd=directory,
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
        check=False,
    )  # fmt: skip
    outcomes = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        failed = case.find("failure") is not None or case.find("error") is not None
        outcomes[str(case.get("classname"))] = "failed" if failed else "passed"
    return result, outcomes


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
    result, outcomes = run_pytest(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr  # 1: some tests failed
    assert outcomes == {
        "test_example": "passed",
        "test_broken": "failed",
        "test_args": "passed",
    }, result.stdout
    assert "{'order': 42}" in result.stdout and "{'order': 7}" in result.stdout


def test_the_in_process_option_serves_the_readme_example(tmp_path: Path) -> None:
    """``lambdaport_in_process = true``: the same fixtures, the server on a thread of the test
    process (with the ini's arguments), and pytest's warnings-as-errors content with it."""
    (tmp_path / "test_example.py").write_text(readme_example())
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\nlambdaport_in_process = true\nlambdaport_args = --async-delay-scale 0.5\n"
    )
    (tmp_path / "test_args.py").write_text(
        "def test_in_process_with_the_ini_args(lambdaport_server):\n"
        "    assert type(lambdaport_server).__name__ == 'InProcessServer'\n"
        "    assert lambdaport_server.app.settings.async_delay_scale == 0.5\n"
    )
    result, outcomes = run_pytest(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert outcomes == {"test_example": "passed", "test_args": "passed"}, result.stdout
