"""The editor of each kind, as PNG in docs/screenshots/editor-<kind>.png (offscreen Qt).

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/ui/kind_editor_screenshots.py
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from types import SimpleNamespace

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
QUERIES = {"biologie": "NFS", "dispositifs": "bandelettes"}


def main() -> None:
    os.environ.setdefault("LAP_DATA_DIR", tempfile.mkdtemp(prefix="lap-shots-"))
    from PySide6.QtWidgets import QApplication

    from lap_app.demo.kind_samples import fill_with_sample_lines
    from lap_app.domain.kinds import OrdonnanceKind
    from lap_app.domain.model import Ordonnance, Patient, Prescriber, Sex
    from lap_app.ui.app import apply_style
    from lap_app.ui.editor.care_editor import CareEditor

    app = QApplication.instance() or QApplication(sys.argv)
    apply_style(app)
    sys.path.insert(0, str(Path(__file__).parent))
    from contexts import complete_context

    editor = CareEditor(complete_context(Path(tempfile.mkdtemp(prefix="lap-shots-")) / "store.sqlite3"))
    editor.set_patient(SimpleNamespace(ald=True))
    editor.resize(760, 720)
    editor.show()
    for kind in OrdonnanceKind:
        if kind is OrdonnanceKind.MEDICAMENTS:
            continue
        sample = fill_with_sample_lines(
            Ordonnance(Prescriber("X", [], "8"), Patient("Y", [], Sex.FEMALE, None), [], written_at=None), kind)  # type: ignore[arg-type]
        editor.add_lines(kind, list(sample.family(kind.families[0])))
        if kind.value in QUERIES:
            editor.search_edit.setText(QUERIES[kind.value])
        app.processEvents()
        target = SCREENSHOTS / f"editor-{kind.value}.png"
        editor.grab().save(str(target))
        print(target)
        editor.search_edit.clear()


if __name__ == "__main__":
    main()
