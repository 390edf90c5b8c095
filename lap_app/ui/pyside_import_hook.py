"""PySide6's ``__feature__`` import hook, taken off once PySide6 is loaded.

Importing ``PySide6.QtCore`` replaces ``builtins.__import__`` with a hook for PySide's opt-in
``from __feature__ import snake_case, true_property``. After every later import, that hook reads
the new module's source file to see whether it names PySide6 (``inspect.getsource``): about
0.3 ms per module, ~40 ms for the modules the login page needs, paid again by every module the
working area loads. The application never selects a feature, so the hook has nothing to do:
the import PySide6 wrapped (its own lazy import, which creates Qt classes on first use) is put
back. With no feature ever selected, Qt classes behave the same in every module.
"""

from __future__ import annotations

import builtins

import PySide6.QtCore  # noqa: F401 - installs the hook this module takes off


def drop_feature_import_hook() -> None:
    """Idempotent; does nothing if this PySide6 has no such hook (or another one is in place)."""
    hook = getattr(builtins, "__feature_import__", None)
    wrapped = getattr(builtins, "__orig_import__", None)
    if hook is not None and wrapped is not None and builtins.__import__ is hook:
        builtins.__import__ = wrapped
