"""The zygote: one process per interpreter that forks execution environments (stdlib only).

Started by the server as ``python3.X -I -c <loader> <worker dir> <config JSON>``. It imports the
runtime bootstrap and the preloaded modules (boto3) once, then waits on its control socket
(a ``SOCK_SEQPACKET`` Unix socket) for messages, one JSON object per packet:

server -> zygote
  ``{"op": "spawn", "id", "env", "code_dir", "handler", "path"}`` with three file descriptors
  (SCM_RIGHTS): request pipe (read end), response pipe (write end), log pipe (write end):
  a Python worker that serves invocations with the runtime bootstrap.
  ``{"op": "spawn", "id", "standby": true}`` with the same three descriptors: a **standby**
  Python worker, forked ahead of need, that waits on its request pipe for one frame
  (``worker/protocol.py``) of kind ``assign`` with the function's ``env``, ``code_dir``,
  ``handler`` and ``path``, then becomes that function's worker as a spawn would have made it.
  ``{"op": "spawn", "id", "env", "exec", "cwd", "args"}`` with the log pipe (write end) and
  up to two more descriptors (its fds 3 and 4): a worker that executes the program ``exec``
  with ``args`` (a custom runtime's bootstrap, a Node.js standby).
  ``{"op": "kill", "pid"}`` ends a worker's environment: every process in it is killed.
zygote -> server
  ``{"op": "ready", "pid", "version", "preloaded"}`` once, at start.
  ``{"op": "spawned", "id", "pid"}`` after each spawn, or ``{"op": "spawned", "id", "errno"}``
  when the program could not be executed (``errno`` null: the environment could not start).
  ``{"op": "exited", "pid", "code", "signal"}`` when a worker's environment has ended.

Each environment is a keeper process (``keeper.py``) with the worker below it; everything the
worker starts stays below the keeper and dies with the environment. End of file on the control
socket or SIGTERM (the server stopped or died: SIGTERM is the zygote's parent-death signal)
makes the zygote end every environment, reap the keepers and exit.
"""

from __future__ import annotations

import contextlib
import fcntl
import gc
import importlib
import io
import json
import os
import selectors
import signal
import socket
import sys
import traceback
from typing import Any, NoReturn

from . import bootstrap, keeper, mounts, protocol, tree

_MAX_PACKET = 1 << 20
# Dispositions Python changes at start (or the zygote does) that a program gets back on exec.
_RESET_ON_EXEC = (signal.SIGPIPE, signal.SIGXFSZ, signal.SIGINT)


class _Keeper:
    """One environment's keeper as the zygote tracks it: its worker and its status pipe."""

    def __init__(self, status_fd: int) -> None:
        self.status_fd = status_fd
        self.worker = 0
        self._buffer = b""

    def read_report(self) -> dict[str, Any] | None:
        """The keeper's next status line (blocking), None if it exited without one."""
        while b"\n" not in self._buffer:
            try:
                chunk = os.read(self.status_fd, 4096)
            except OSError:
                chunk = b""
            if not chunk:
                return None
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        report: dict[str, Any] = json.loads(line)
        return report


def _exit_code(exc: SystemExit) -> int:
    code = exc.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    sys.stderr.write(f"{code}\n")
    return 1


class Zygote:
    def __init__(self, control: socket.socket, support_path: list[str]) -> None:
        self.control = control
        self.support_path = support_path
        self.base_path = list(sys.path)
        self.keepers: dict[int, _Keeper] = {}  # by keeper pid
        self.pid = os.getpid()
        self.terminating = False
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_w, False)
        os.set_blocking(self._wake_r, False)
        signal.signal(signal.SIGCHLD, lambda signum, frame: None)
        signal.signal(signal.SIGTERM, self._on_terminate)
        signal.set_wakeup_fd(self._wake_w)
        self.selector = selectors.DefaultSelector()
        self.selector.register(control, selectors.EVENT_READ, "control")
        self.selector.register(self._wake_r, selectors.EVENT_READ, "child")

    def send(self, message: dict[str, Any]) -> None:
        self.control.send(json.dumps(message).encode())

    def _on_terminate(self, signum: int, frame: object) -> None:
        self.terminating = True

    def serve(self) -> None:
        while not self.terminating:
            for key, _ in self.selector.select():
                if key.data == "child":
                    self._reap()
                elif not self._on_control():
                    self.terminating = True
        self._shutdown()

    def _on_control(self) -> bool:
        data, fds, _flags, _addr = socket.recv_fds(self.control, _MAX_PACKET, 3)
        if not data:
            for fd in fds:
                os.close(fd)
            return False
        message = json.loads(data)
        if message["op"] == "spawn":
            try:
                self._spawn(message, fds)
            finally:
                for fd in fds:
                    os.close(fd)
        elif message["op"] == "kill":
            for pid, kept in self.keepers.items():
                if kept.worker == message["pid"]:
                    os.kill(pid, signal.SIGTERM)  # not reaped yet: the pid is still the keeper's
        return True

    def _spawn(self, message: dict[str, Any], fds: list[int]) -> None:
        sys.stdout.flush()
        sys.stderr.flush()
        status_r, status_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(status_r)
            self._run_keeper(message, fds, status_w)  # never returns
        os.close(status_w)
        kept = _Keeper(status_r)
        report = kept.read_report() or {"errno": None}
        if "pid" in report:
            kept.worker = report["pid"]
            self.keepers[pid] = kept
            self.send({"op": "spawned", "id": message["id"], "pid": kept.worker})
            return
        os.close(status_r)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
        self.send({"op": "spawned", "id": message["id"], "errno": report.get("errno")})

    def _reap(self) -> None:
        with contextlib.suppress(OSError):
            while os.read(self._wake_r, 4096):
                pass
        while self.keepers:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            self._ended(pid)

    def _ended(self, pid: int) -> None:
        """A keeper was reaped: its environment is over; tell the server how the worker ended."""
        kept = self.keepers.pop(pid, None)
        if kept is None:
            return
        report = kept.read_report() or {"code": None, "signal": int(signal.SIGKILL)}
        os.close(kept.status_fd)
        with contextlib.suppress(OSError):  # the server is gone
            self.send({"op": "exited", "pid": kept.worker, **report})

    def _shutdown(self) -> None:
        for pid in self.keepers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        for pid in list(self.keepers):
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
            self._ended(pid)

    def _close_in_child(self) -> None:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        self.selector.close()
        self.control.close()
        os.close(self._wake_r)
        os.close(self._wake_w)
        for kept in self.keepers.values():
            os.close(kept.status_fd)

    def _run_keeper(self, message: dict[str, Any], fds: list[int], status_fd: int) -> NoReturn:
        try:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            self._close_in_child()
            if message.get("mounts"):  # the environment's own view of the file system
                try:
                    mounts.enter(message["mounts"])
                except OSError as e:
                    os.write(status_fd, json.dumps({"errno": e.errno or 1}).encode() + b"\n")
                    os._exit(0)
            executable = message.get("exec")
            keeper.run(
                status_fd,
                self.pid,
                (lambda errors_fd: _execute(message, fds, errors_fd))
                if executable
                else (lambda errors_fd: self._run_child(message, fds)),
                inherited=fds,
                executes=bool(executable),
            )
        finally:
            os._exit(1)

    def _run_child(self, message: dict[str, Any], fds: list[int]) -> None:
        code = 1
        try:
            request_fd, response_fd, log_fd = fds
            if message.get("standby"):  # forked ahead of need: the function comes later
                assignment = _read_assignment(request_fd)
                if assignment is None:  # the server let the standby go unassigned
                    code = 0
                    return
                message = assignment
            self._prepare_child(message, log_fd)
            bootstrap.serve(request_fd, response_fd, message["handler"])
            code = 0
        except SystemExit as e:
            code = _exit_code(e)
        except BaseException:
            traceback.print_exc()
        finally:
            bootstrap.flush_output()
            os._exit(code)

    def _prepare_child(self, message: dict[str, Any], log_fd: int) -> None:
        os.dup2(log_fd, 1)
        os.dup2(log_fd, 2)
        os.environ.clear()
        os.environ.update(message["env"])
        code_dir: str = message["code_dir"]
        os.chdir(code_dir)
        front = [code_dir, *message.get("path", []), *self.support_path]
        sys.path[:] = front + [p for p in self.base_path if p not in front]
        for directory in (code_dir, *message.get("path", [])):
            _forget_shadowed_modules(directory, self.support_path)
        importlib.invalidate_caches()
        # Fresh line-buffered streams: the inherited ones may think fd 1 is a seekable file.
        sys.stdout = _log_stream(1)
        sys.stderr = _log_stream(2)
        setattr(sys, "__stdout__", sys.stdout)  # noqa: B010 - a final name for type checkers
        setattr(sys, "__stderr__", sys.stderr)  # noqa: B010
        sys.argv = [bootstrap.__file__ or "bootstrap"]


def _execute(message: dict[str, Any], fds: list[int], errors_fd: int) -> NoReturn:
    """Execute the program of an ``exec`` spawn (``fds``: its output, then the descriptors
    it gets as fd 3 and 4); on failure write the errno to ``errors_fd``."""
    program: str = message["exec"]
    try:
        # Everything out of the way of 0-4 first: a descriptor may sit where another goes.
        moved = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in fds]
        errors_fd = fcntl.fcntl(errors_fd, fcntl.F_DUPFD_CLOEXEC, 10)
        for fd in fds:
            os.close(fd)
        log_fd, passed = moved[0], moved[1:]
        os.dup2(log_fd, 1)
        os.dup2(log_fd, 2)
        for target, fd in enumerate(passed, start=3):
            os.dup2(fd, target)
        os.chdir(message["cwd"])
        for signum in _RESET_ON_EXEC:
            signal.signal(signum, signal.SIG_DFL)
        os.execve(program, [program, *message.get("args", [])], message["env"])
    except OSError as e:
        os.write(errors_fd, str(e.errno or 0).encode())
    os._exit(127)


def _read_exactly(fd: int, size: int) -> bytes | None:
    data = b""
    while len(data) < size:
        chunk = os.read(fd, size - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def _read_assignment(request_fd: int) -> dict[str, Any] | None:
    """A standby's assignment: the first frame on its request pipe, read to its exact end
    (nothing of a later frame is taken); None at end of file."""
    prefix = _read_exactly(request_fd, protocol.FRAME_PREFIX.size)
    if prefix is None:
        return None
    head_len, body_len = protocol.FRAME_PREFIX.unpack(prefix)
    frame = _read_exactly(request_fd, head_len + body_len)
    if frame is None:
        return None
    header: dict[str, Any] = json.loads(frame[:head_len])
    return header if header.get("kind") == "assign" else None


def _log_stream(fd: int) -> io.TextIOWrapper:
    return open(fd, "w", buffering=1, encoding="utf-8", errors="backslashreplace", closefd=False)


def _forget_shadowed_modules(code_dir: str, support_path: list[str]) -> None:
    """Drop preloaded third-party modules (boto3, ...) the function ships its own copy of.

    Standard-library modules the runtime imported stay, as on AWS.
    """
    roots = (*support_path, *(p for p in sys.path if p.endswith("site-packages")))
    try:
        names = set(os.listdir(code_dir))
    except OSError:
        return
    shipped = {name.partition(".")[0] for name in names}
    loaded = {name.partition(".")[0] for name in sys.modules}
    shadowed = (shipped & loaded) - set(sys.builtin_module_names)
    if not shadowed:
        return
    for module_name in list(sys.modules):
        module = sys.modules.get(module_name)
        origin = getattr(module, "__file__", None) or ""
        if module_name.partition(".")[0] in shadowed and origin.startswith(roots):
            del sys.modules[module_name]


def main(config: dict[str, Any]) -> None:
    tree.set_parent_death_signal(signal.SIGTERM)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    support_path: list[str] = config.get("support_path", [])
    sys.path[:0] = support_path
    preloaded = []
    for name in config.get("preload", []):
        try:
            importlib.import_module(name)
            preloaded.append(name)
        except Exception:
            traceback.print_exc()
    control = socket.socket(fileno=config["control_fd"])
    zygote = Zygote(control, support_path)
    gc.collect()
    gc.freeze()
    zygote.send(
        {
            "op": "ready",
            "pid": os.getpid(),
            "version": list(sys.version_info[:2]),
            "preloaded": preloaded,
        }
    )
    zygote.serve()
