"""Which Node.js runs a ``nodejsNN.x`` runtime, and the AWS SDK for JavaScript v3 for it.

A declared ``nodejsNN.x`` runs on an installed Node.js of major NN when there is one, else on
the nearest major installed (the higher of two as near), with a line in the function's own
log saying so. Installed means: ``node`` on PATH, and every version under the version
managers' directories (nvm: ``$NVM_DIR/versions/node``, fnm: ``$FNM_DIR/node-versions``,
Volta: ``$VOLTA_HOME/tools/image/node``, n: ``$N_PREFIX/n/versions/node``); each candidate is
run once to learn its version, since a shim may not run the version its name says.

AWS's Node.js runtimes ship the SDK v3 (``@aws-sdk/client-*``); lambdaport installs the
clients of ``SDK_PACKAGES`` once with npm into ``cache_dir/nodejs/aws-sdk-v3`` (a lock file
and a marker, like boto3 for other Pythons in ``interpreters.py``), and handlers resolve them
through ``NODE_PATH``. ``python -m lambdaport.runtime.node_versions`` does it ahead of time
(``scripts/test-deps.sh``).
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger("lambdaport.runtime")

_RUNTIME_RE = re.compile(r"^nodejs(\d+)\.x$")
_VERSION_RE = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)")
_PROBE_TIMEOUT_S = 20.0
_NPM_TIMEOUT_S = 900.0
_MARKER = ".lambdaport-provisioned"

# The clients most functions use, and what they need beside them; AWS's runtimes carry
# every client, lambdaport these (a function that needs another ships it in its package).
SDK_PACKAGES = (
    "@aws-sdk/client-s3",
    "@aws-sdk/client-dynamodb",
    "@aws-sdk/lib-dynamodb",
    "@aws-sdk/client-sqs",
    "@aws-sdk/client-sns",
    "@aws-sdk/client-lambda",
    "@aws-sdk/client-kinesis",
    "@aws-sdk/client-eventbridge",
    "@aws-sdk/client-secrets-manager",
    "@aws-sdk/client-ssm",
    "@aws-sdk/client-sts",
    "@aws-sdk/client-cloudwatch-logs",
    "@aws-sdk/client-sfn",
    "@aws-sdk/client-kms",
    "@aws-sdk/credential-providers",
)
SDK_MAJOR = "3"


@dataclass(frozen=True, slots=True)
class NodeInstall:
    executable: str
    version: tuple[int, int, int]

    @property
    def major(self) -> int:
        return self.version[0]

    @property
    def label(self) -> str:
        return "v" + ".".join(str(part) for part in self.version)


@dataclass(frozen=True, slots=True)
class NodeChoice:
    """The Node.js a runtime runs on; ``notice`` is set when it is not the declared major."""

    install: NodeInstall
    notice: str = ""


def runtime_major(runtime: str) -> int | None:
    """``"nodejs20.x"`` -> 20; None for anything else."""
    match = _RUNTIME_RE.match(runtime)
    return int(match.group(1)) if match else None


def _manager_dirs() -> Iterable[Path]:
    home = Path.home()
    env = os.environ
    nvm = Path(env.get("NVM_DIR", home / ".nvm")) / "versions" / "node"
    fnm_roots = [Path(env["FNM_DIR"])] if env.get("FNM_DIR") else []
    fnm_roots += [home / ".local" / "share" / "fnm", home / ".fnm"]
    volta = Path(env.get("VOLTA_HOME", home / ".volta")) / "tools" / "image" / "node"
    n_prefix = Path(env.get("N_PREFIX", "/usr/local")) / "n" / "versions" / "node"
    for directory in (nvm, volta, n_prefix):
        if directory.is_dir():
            yield from (version / "bin" for version in directory.iterdir())
    for root in fnm_roots:
        versions = root / "node-versions"
        if versions.is_dir():
            yield from (version / "installation" / "bin" for version in versions.iterdir())


def candidates() -> list[str]:
    """Every ``node`` executable found, PATH's first."""
    found: list[str] = []
    on_path = shutil.which("node")
    if on_path:
        found.append(os.path.realpath(on_path))
    for directory in _manager_dirs():
        node = directory / "node"
        if node.is_file() and os.access(node, os.X_OK):
            found.append(os.path.realpath(node))
    return list(dict.fromkeys(found))


def probe(executable: str) -> tuple[int, int, int] | None:
    """The version an executable really runs, or None when it does not run."""
    try:
        done = subprocess.run(
            [executable, "--version"],
            capture_output=True,
            timeout=_PROBE_TIMEOUT_S,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    match = _VERSION_RE.match(done.stdout.decode(errors="replace").strip())
    if done.returncode != 0 or match is None:
        return None
    return (int(match.group(1)), int(match.group(2)), int(match.group(3)))


def installed() -> list[NodeInstall]:
    """Every Node.js that runs, newest first (blocking: each candidate runs once)."""
    found = []
    for executable in candidates():
        version = probe(executable)
        if version is not None:
            found.append(NodeInstall(executable, version))
    return sorted(found, key=lambda install: install.version, reverse=True)


def choose(runtime: str, installs: list[NodeInstall]) -> NodeChoice | None:
    """The newest install of the runtime's major, else of the nearest major (the higher
    when two are as near); None when no Node.js is installed."""
    major = runtime_major(runtime)
    if major is None or not installs:
        return None
    exact = [install for install in installs if install.major == major]
    if exact:
        return NodeChoice(exact[0])
    nearest = min(installs, key=lambda install: (abs(install.major - major), -install.major))
    notice = (
        f"lambdaport: Node.js {major} ({runtime}) is not installed here; this function runs on "
        f"Node.js {nearest.label} ({nearest.executable})\n"
    )
    logger.warning(
        "%s is not installed; running %s functions on Node.js %s (%s)",
        runtime,
        runtime,
        nearest.label,
        nearest.executable,
    )
    return NodeChoice(nearest, notice)


def sdk_dir(cache_dir: Path) -> Path:
    """Where the SDK's packages are installed (its ``node_modules`` is on NODE_PATH)."""
    return cache_dir / "nodejs" / "aws-sdk-v3"


def provision_sdk(cache_dir: Path, node: NodeInstall | None = None) -> Path | None:
    """The SDK's ``node_modules`` directory, installed once with npm (blocking); None when
    npm is missing or the install failed (functions then find no SDK, and the log says why)."""
    target = sdk_dir(cache_dir)
    modules = target / "node_modules"
    marker = target / _MARKER
    if marker.exists():
        return modules
    npm = _npm(node)
    if npm is None:
        logger.warning("cannot install the AWS SDK for JavaScript: npm is not installed")
        return None
    target.mkdir(parents=True, exist_ok=True)
    with open(target.parent / "aws-sdk-v3.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if marker.exists():
            return modules
        logger.info("installing the AWS SDK for JavaScript v3 into %s", target)
        packages = [f"{name}@{SDK_MAJOR}" for name in SDK_PACKAGES]
        command = [
            npm,
            "install",
            "--prefix",
            str(target),
            "--no-audit",
            "--no-fund",
            "--no-save",
            "--loglevel=error",
            *packages,
        ]
        env = dict(os.environ)
        if node is not None:  # npm runs on the Node.js it belongs to
            env["PATH"] = f"{Path(node.executable).parent}{os.pathsep}{env.get('PATH', '')}"
        try:
            done = subprocess.run(
                command,
                capture_output=True,
                timeout=_NPM_TIMEOUT_S,
                check=False,
                stdin=subprocess.DEVNULL,
                env=env,
            )
        except (OSError, subprocess.SubprocessError) as e:
            logger.warning("cannot install the AWS SDK for JavaScript: %s", e)
            return None
        if done.returncode != 0:
            tail = done.stderr.decode(errors="replace")[-2000:]
            logger.warning("cannot install the AWS SDK for JavaScript: %s", tail)
            return None
        marker.write_text("\n".join(SDK_PACKAGES) + "\n")
    return modules


def _npm(node: NodeInstall | None) -> str | None:
    if node is not None:
        beside = Path(node.executable).parent / "npm"
        if beside.is_file():
            return str(beside)
    return shutil.which("npm")


def main(argv: list[str]) -> int:
    """``python -m lambdaport.runtime.node_versions [CACHE_DIR]``: install the SDK ahead."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    cache_dir = Path(argv[0]) if argv else Path.home() / ".cache" / "lambdaport"
    installs = installed()
    if not installs:
        print("no Node.js installed: the nodejs runtimes are not available", file=sys.stderr)
        return 0
    modules = provision_sdk(cache_dir.expanduser().resolve(), installs[0])
    if modules is None:
        return 1
    print(f"AWS SDK for JavaScript v3 in {modules}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
