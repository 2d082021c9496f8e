"""Runtime families: which kind of execution environment runs a runtime id.

A family (the managed Python runtimes, the managed Node.js runtimes, the custom
``provided.*`` runtimes) starts environments for a spec, says whether invocation payloads
must be JSON (a managed runtime hands the handler a parsed event; a custom runtime's
bootstrap reads whatever bytes came), gives the environment variables it sets for its
runtimes, and stops what it keeps between environments (the Python and Node.js standbys) with
the pool.
``app.py`` builds the :class:`RuntimeFamilies` (runtime id → family); the pool starts
environments through it and the invoker asks it whether a payload must be JSON.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from lambdaport.runtime.custom import start_custom_environment
from lambdaport.runtime.extensions import extension_programs
from lambdaport.runtime.interpreters import PythonInterpreters, runtime_version
from lambdaport.runtime.memory import MemoryWatch
from lambdaport.runtime.node_versions import runtime_major
from lambdaport.runtime.nodejs import NodeRuntimes, start_node_environment
from lambdaport.runtime.paths import ExecutionPaths
from lambdaport.runtime.python import start_python_environment
from lambdaport.runtime.settings import RuntimeSettings
from lambdaport.runtime.spec import ExecutionEnvironment, FunctionSpec
from lambdaport.runtime.standbys import PythonStandbys


@dataclass(frozen=True, slots=True)
class EnvironmentHost:
    """What the pool shares with every environment it starts."""

    settings: RuntimeSettings
    interpreters: PythonInterpreters
    memory: MemoryWatch
    paths: ExecutionPaths


class RuntimeFamily(Protocol):
    def runs(self, runtime: str) -> bool:
        """Whether the runtime id is of this family (``python3.12``, ``provided.al2023``)."""
        ...

    @property
    def json_payloads(self) -> bool:
        """Whether an invocation's payload must be JSON (the invoker refuses other bytes)."""
        ...

    def environment(self, spec: FunctionSpec) -> Mapping[str, str]:
        """The variables the family sets for ``spec`` besides everyone's (``env_vars``)."""
        ...

    async def start(self, spec: FunctionSpec, host: EnvironmentHost) -> ExecutionEnvironment:
        """A started environment of ``spec``, its init done."""
        ...

    async def stop(self) -> None:
        """Stop what the family keeps between environments (the pool is stopping)."""
        ...


class PythonFamily:
    """``python3.*``: a worker forked from the zygote of the runtime's interpreter, or a
    standby forked from it ahead of need (``standbys.py``), which it keeps."""

    json_payloads = True

    def __init__(self) -> None:
        self._standbys: PythonStandbys | None = None

    def runs(self, runtime: str) -> bool:
        """Every ``python3.X`` (one not installed runs on the server's interpreter)."""
        return runtime_version(runtime) is not None

    def environment(self, spec: FunctionSpec) -> Mapping[str, str]:
        env = {"AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}"}
        paths = layer_paths(spec)
        if paths:  # for the Python programs the function starts; its own sys.path has them
            env["PYTHONPATH"] = ":".join(paths)
        return env

    async def start(self, spec: FunctionSpec, host: EnvironmentHost) -> ExecutionEnvironment:
        view = host.paths.view(spec, shared_tmp=bool(extension_programs(spec.opt_dir)))
        if self._standbys is None:
            self._standbys = PythonStandbys(host.settings.python_standbys)
        return await start_python_environment(
            spec,
            host.settings,
            host.interpreters,
            host.memory,
            self.environment(view.spec),
            layer_paths(view.spec),
            view,
            self._standbys,
        )

    async def stop(self) -> None:
        standbys, self._standbys = self._standbys, None
        if standbys is not None:
            await standbys.stop()


class NodeFamily:
    """``nodejs18.x`` ... ``nodejs24.x``: lambdaport's runtime interface client in a standby
    ``node`` process of the installed Node.js nearest the declared major (``nodejs.py``)."""

    json_payloads = True

    def __init__(self, cache_dir: Path) -> None:
        self.runtimes = NodeRuntimes(cache_dir)

    def runs(self, runtime: str) -> bool:
        return runtime_major(runtime) is not None

    def node_path(self, spec: FunctionSpec) -> list[str]:
        """NODE_PATH's directories in AWS's order: the layers' ``/opt/nodejs/nodeNN/
        node_modules`` and ``/opt/nodejs/node_modules``, the SDK (AWS's
        ``/var/runtime/node_modules``), then the code (``/var/task``)."""
        layers = []
        if spec.opt_dir is not None:
            major = runtime_major(spec.runtime)
            layers = [
                f"{spec.opt_dir}/nodejs/node{major}/node_modules",
                f"{spec.opt_dir}/nodejs/node_modules",
            ]
        return [*layers, str(self.runtimes.sdk_modules), spec.code_dir]

    def environment(self, spec: FunctionSpec) -> Mapping[str, str]:
        return {
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
            "NODE_PATH": os.pathsep.join(self.node_path(spec)),
        }

    async def start(self, spec: FunctionSpec, host: EnvironmentHost) -> ExecutionEnvironment:
        await self.runtimes.choice(spec.runtime)  # the SDK is in place before NODE_PATH is read
        view = host.paths.view(spec, shared_tmp=bool(extension_programs(spec.opt_dir)))
        return await start_node_environment(
            spec,
            host.settings,
            await host.interpreters.launcher(),
            self.runtimes,
            host.memory,
            self.environment(view.spec),
            view,
        )

    async def stop(self) -> None:
        await self.runtimes.stop()


def layer_paths(spec: FunctionSpec) -> list[str]:
    """A Python function's layer directories, as AWS's runtime puts them on ``sys.path``
    after the code: ``/opt/python/lib/pythonX.Y/site-packages``, then ``/opt/python``."""
    version = runtime_version(spec.runtime)
    if spec.opt_dir is None or version is None:
        return []
    site = f"{spec.opt_dir}/python/lib/python{version[0]}.{version[1]}/site-packages"
    return [site, f"{spec.opt_dir}/python"]


class CustomFamily:
    """``provided.*``: the function's ``bootstrap`` (launched by the interpreters' launcher
    zygote) against the Runtime API."""

    json_payloads = False

    def runs(self, runtime: str) -> bool:
        return runtime == "provided" or runtime.startswith("provided.")

    def environment(self, spec: FunctionSpec) -> Mapping[str, str]:
        return {}

    async def start(self, spec: FunctionSpec, host: EnvironmentHost) -> ExecutionEnvironment:
        view = host.paths.view(spec, shared_tmp=bool(extension_programs(spec.opt_dir)))
        return await start_custom_environment(
            spec, host.settings, host.interpreters.launcher, host.memory, view
        )

    async def stop(self) -> None:
        return None


class UnsupportedRuntime(NotImplementedError):
    def __init__(self, runtime: str) -> None:
        super().__init__(f"runtime {runtime} is not supported")
        self.runtime = runtime


class RuntimeFamilies:
    """Runtime id → the family that runs it (the first that ``runs`` it, remembered)."""

    def __init__(self, *families: RuntimeFamily) -> None:
        self._families = families
        self._by_runtime: dict[str, RuntimeFamily] = {}

    def family(self, runtime: str) -> RuntimeFamily:
        found = self._by_runtime.get(runtime)
        if found is None:
            found = next((f for f in self._families if f.runs(runtime)), None)
            if found is None:
                raise UnsupportedRuntime(runtime)
            self._by_runtime[runtime] = found
        return found

    async def stop(self) -> None:
        """Stop every family's standing parts (``RuntimePool.stop``)."""
        for family in self._families:
            await family.stop()
