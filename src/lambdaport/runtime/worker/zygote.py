"""The zygote: one process per interpreter that forks workers on request (stdlib only).

Started by the server as ``python3.X -I -c <loader> <worker dir> <config JSON>``. It imports the
runtime bootstrap and the preloaded modules (boto3) once, then waits on its control socket
(a ``SOCK_SEQPACKET`` Unix socket) for messages, one JSON object per packet:

server -> zygote
  ``{"op": "spawn", "id", "env", "code_dir", "handler", "path"}`` with three file descriptors
  (SCM_RIGHTS): request pipe (read end), response pipe (write end), log pipe (write end).
  ``{"op": "kill", "pid"}`` SIGKILLs a worker that has not been reaped yet.
zygote -> server
  ``{"op": "ready", "pid", "version", "preloaded"}`` once, at start.
  ``{"op": "spawned", "id", "pid"}`` after each fork.
  ``{"op": "exited", "pid", "code", "signal"}`` when a worker has been reaped.

End of file on the control socket (the server stopped or died) makes the zygote kill every
worker, reap them and exit. Workers die with the zygote (PR_SET_PDEATHSIG).
"""

from __future__ import annotations

import contextlib
import ctypes
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
from typing import Any

from . import bootstrap

_PR_SET_PDEATHSIG = 1
_MAX_PACKET = 1 << 20


def set_parent_death_signal() -> None:
    """Ask the kernel to SIGKILL this process when its parent dies (Linux)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


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
        self.children: set[int] = set()
        self.pid = os.getpid()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_w, False)
        os.set_blocking(self._wake_r, False)
        signal.signal(signal.SIGCHLD, lambda signum, frame: None)
        signal.set_wakeup_fd(self._wake_w)
        self.selector = selectors.DefaultSelector()
        self.selector.register(control, selectors.EVENT_READ, "control")
        self.selector.register(self._wake_r, selectors.EVENT_READ, "child")

    def send(self, message: dict[str, Any]) -> None:
        self.control.send(json.dumps(message).encode())

    def serve(self) -> None:
        while True:
            for key, _ in self.selector.select():
                if key.data == "child":
                    self._reap()
                elif not self._on_control():
                    self._shutdown()
                    return

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
        elif message["op"] == "kill" and message["pid"] in self.children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(message["pid"], signal.SIGKILL)
        return True

    def _spawn(self, message: dict[str, Any], fds: list[int]) -> None:
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            self._run_child(message, fds)  # never returns
        self.children.add(pid)
        self.send({"op": "spawned", "id": message["id"], "pid": pid})

    def _reap(self) -> None:
        with contextlib.suppress(OSError):
            while os.read(self._wake_r, 4096):
                pass
        while self.children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            self.children.discard(pid)
            code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else None
            sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
            self.send({"op": "exited", "pid": pid, "code": code, "signal": sig})

    def _shutdown(self) -> None:
        for pid in self.children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        for pid in list(self.children):
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
        self.children.clear()

    def _close_in_child(self) -> None:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        self.selector.close()
        self.control.close()
        os.close(self._wake_r)
        os.close(self._wake_w)

    def _run_child(self, message: dict[str, Any], fds: list[int]) -> None:
        code = 1
        try:
            set_parent_death_signal()
            if os.getppid() != self.pid:
                os._exit(1)
            self._close_in_child()
            request_fd, response_fd, log_fd = fds
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
        _forget_shadowed_modules(code_dir, self.support_path)
        importlib.invalidate_caches()
        # Fresh line-buffered streams: the inherited ones may think fd 1 is a seekable file.
        sys.stdout = _log_stream(1)
        sys.stderr = _log_stream(2)
        setattr(sys, "__stdout__", sys.stdout)  # noqa: B010 - a final name for type checkers
        setattr(sys, "__stderr__", sys.stderr)  # noqa: B010
        sys.argv = [bootstrap.__file__ or "bootstrap"]


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
    set_parent_death_signal()
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
