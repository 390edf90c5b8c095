"""Entry point of ``lap-app`` (the console script, ``python -m lap_app`` and the frozen build).

This module imports nothing of its own at load time: the command line (``dispatch``) and
everything it pulls in are imported inside ``main``'s ``try``, so a Ctrl+C during those
imports, the first few tenths of a second of every command, ends with the same French
line and exit code 130 as a Ctrl+C later, never with a Python traceback.
"""

import sys

INTERRUPTED_EXIT_CODE = 130  # 128 + SIGINT, what shells report for Ctrl+C


def main(argv: list[str] | None = None) -> int:
    try:
        from lap_app.cli.dispatch import run

        return run(argv)
    except KeyboardInterrupt:  # Ctrl+C while starting, parsing or running a command
        from lap_app.i18n import _  # imported afresh if the Ctrl+C came during its own import

        print(_("Erreur : interrompu (Ctrl+C)."), file=sys.stderr)
        return INTERRUPTED_EXIT_CODE


if __name__ == "__main__":
    raise SystemExit(main())
