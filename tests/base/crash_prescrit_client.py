"""The prescrit's client under the crash campaign (not a test): ``lap-app prescrit execute`` as a
user types it, with three points told on stdout, one a line (atomic pipe writes):

    <pid> started    the execution is about to be written to the journal
    <pid> written    the journal holds it, with its id; nothing sent yet
    <pid> answered   the base recorded it and answered; the journal does not know yet

    python crash_prescrit_client.py PHASE prescrit execute NUMBER ...

The process stops at PHASE (a point's name, or ``-``) until the test kills it (kill -9).
Run by ``tests/base/test_crash_executions.py``.
"""

from __future__ import annotations

import os
import signal
import sys


def main(phase: str, arguments: list[str]) -> int:
    from lap_app.base_client import HttpBaseClient
    from lap_app.cli.main import main as lap_app
    from lap_app.storage.execution_journal import ExecutionJournal

    def point(name: str) -> None:
        os.write(1, f"{os.getpid()} {name}\n".encode())
        if name == phase:
            while True:  # until the kill -9
                signal.pause()

    keep, execute = ExecutionJournal.keep, HttpBaseClient.prescrit_execute

    def keeping(self, number, content):  # type: ignore[no-untyped-def]
        point("started")
        execution_id = keep(self, number, content)
        point("written")
        return execution_id

    def executing(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        answer = execute(self, *args, **kwargs)
        point("answered")
        return answer

    ExecutionJournal.keep = keeping  # type: ignore[method-assign]
    HttpBaseClient.prescrit_execute = executing  # type: ignore[method-assign]
    return lap_app(arguments)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2:]))
