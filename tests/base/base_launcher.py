"""A base launcher: one process per test worker that has imported ``lap-app base serve``'s code
(FastAPI, pydantic, uvicorn, the routes: about 0.7 s of CPU of each start) and forks, per
start, a child that runs ``lap-app base serve ...`` — the command's own ``main`` — in the
environment, directory and with the standard streams the test gives.

Each child is a real, separate process: the test kills it (SIGKILL, SIGTERM) as any other; it
opens its databases, key and certificates itself after the fork (the launcher opens none,
starts no thread and no event loop). A restart after a kill is a new child that finds on disk
what the killed one left.

Protocol (a SOCK_SEQPACKET socket pair, one message a datagram, JSON):
request  ``{"argv": [...], "env": {...}, "cwd": "..."}`` with three descriptors (stdin, stdout,
         stderr of the child);
answers  ``{"started": PID}`` with a pidfd of the child, then ``{"exited": PID, "code": N, "cpu": S}``
         when it ends (``N`` as ``Popen.returncode``: -9 for a kill -9; ``S`` its CPU seconds).
The launcher ends when the test worker closes its end (the worker ended).
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import select
import socket
import sys
import threading

# What ``lap-app base serve`` imports before it serves (its start, minus the interpreter's).
PRELOADED = (
    "lap_app.cli.main",
    "lap_app.cli.dispatch",
    "lap_app.logs",
    "lap_app.standins.server_extra",
    "lap_app.standins.pki",
    "lap_app.standins.base_server",
    "lap_app.standins.base_server.routes_auth",
    "lap_app.standins.base_server.routes_patient",
    "lap_app.standins.base_server.routes_pharmacy",
    "lap_app.standins.base_server.routes_prescriber",
    "lap_app.standins.base_server.routes_prescrit",
    "lap_app.standins.base_server.body_limits",
    "lap_app.standins.base_server.fast_path",
    "lap_app.standins.base_server.http_limits",
    "lap_app.standins.base_server.store",
    "lap_app.standins.dmp",
    "lap_app.standins.dmp.routes",
    "uvicorn",
    "uvicorn.config",
    "uvicorn.server",
    "uvicorn.lifespan.on",
    "uvicorn.loops.uvloop",
    "uvicorn.protocols.http.httptools_impl",
)
OPTIONAL = ("lap_app.standins.base_server.store_postgres",)  # psycopg: present with the [server] extra


def preload() -> None:
    from lap_app.cli.dispatch import COMMAND_MODULES

    for name in (*PRELOADED, *COMMAND_MODULES):
        importlib.import_module(name)
    for name in OPTIONAL:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)


def serve(control: socket.socket) -> None:
    children: dict[int, int] = {}  # pidfd -> pid
    while True:
        ready, _, _ = select.select([control, *children], [], [])
        for pidfd in [fd for fd in ready if fd in children]:
            pid = children.pop(pidfd)
            os.close(pidfd)
            _, status, usage = os.wait4(pid, 0)
            control.send(json.dumps({"exited": pid, "code": os.waitstatus_to_exitcode(status),
                                     "cpu": usage.ru_utime + usage.ru_stime}).encode())
        if control in ready:
            message, fds, _flags, _address = socket.recv_fds(control, 1 << 20, 3)
            if not message:
                return  # the test worker is gone
            request = json.loads(message)
            if threading.active_count() != 1:
                raise RuntimeError("the launcher must not fork with threads running")
            pid = os.fork()
            if pid == 0:
                control.close()
                run_child(request, fds, list(children))
            for fd in fds:
                os.close(fd)
            pidfd = os.pidfd_open(pid)
            children[pidfd] = pid
            socket.send_fds(control, [json.dumps({"started": pid}).encode()], [pidfd])


def run_child(request: dict, fds: list[int], inherited: list[int]) -> None:
    """In the forked child: the streams, environment and directory of the request, then the command."""
    code: object = 1
    try:
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
        for fd in {*fds, *inherited}:
            if fd > 2:
                os.close(fd)
        os.environ.clear()
        os.environ.update(request["env"])
        os.chdir(request["cwd"])
        sys.path[0] = request["cwd"]  # as ``python -m`` from that directory
        sys.argv = [str(importlib.import_module("lap_app").__path__[0]) + "/__main__.py", *request["argv"]]
        from lap_app.cli.main import main

        code = main(request["argv"])
    except SystemExit as exit_:
        code = exit_.code
    except BaseException:  # noqa: BLE001 - as the interpreter would: the traceback on stderr
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        os._exit(_finish(code))


def _finish(code: object) -> int:
    """What the interpreter does on its way out: non-daemon threads joined, atexit, streams flushed."""
    import atexit

    try:
        threading._shutdown()  # type: ignore[attr-defined]
        atexit._run_exitfuncs()
    finally:
        if code is None:
            status = 0
        elif isinstance(code, int):
            status = code
        else:
            print(code, file=sys.stderr)
            status = 1
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
    return status


def main() -> None:
    control = socket.socket(fileno=int(sys.argv[1]))
    sys.argv = sys.argv[:1]
    preload()
    serve(control)


if __name__ == "__main__":
    main()
