"""Settings the runtime needs, handed in by ``app.create_app``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, slots=True)
class RuntimeSettings:
    endpoint_url: str  # what functions get as AWS_ENDPOINT_URL (lambdaport itself)
    data_dir: Path  # the server's data directory (runtime scratch space lives below it)
    cache_dir: Path  # survives --ephemeral: per-interpreter support packages (boto3)
    keep_alive_s: float = 600.0  # idle environments are reaped after this
    # "python3.12" -> "/path/to/python3.12"; empty means discover on PATH and under pyenv.
    python_executables: Mapping[str, str] = field(default_factory=dict)
    # The server: be the child subreaper of every process functions start, so none of them
    # outlives it (runtime/subreaper.py). Off where the pool runs inside another program.
    adopt_orphans: bool = False
    # "directories", or "aws": AWS's /var/task, /opt and a private /tmp through a mount
    # namespace where the kernel allows it (runtime/paths.py).
    function_paths: str = "directories"
    # Python workers forked ahead of need per interpreter in use (standbys.py); 0: none.
    python_standbys: int = 1
