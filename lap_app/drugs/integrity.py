"""Whether the drug database file is sound, and rebuilding it without losing an imported release.

A damaged file (unreadable, incomplete, damaged pages found by ``PRAGMA quick_check``) is
refused with a French message and left as it is: never silently rebuilt from the shipped BDPM,
which would drop the releases the practice imported. ``lap-app drugs rebuild`` rebuilds it from
the shipped BDPM and re-imports, in order, every release imported since (their files are kept
under ``drug-releases/`` beside the database by ``keep_release``).

``quick_check`` reads the whole file (1–3 s for 90 MB), so it runs when the file changed since
its last good check (size, modification time, inode: ``drugs.sqlite3.checked``); damage that
leaves those unchanged (bit rot) is found once the file changes again.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
import time
from pathlib import Path

from lap_app.domain.errors import DamagedFile
from lap_app.i18n import _

log = logging.getLogger(__name__)
RELEASES_DIR = "drug-releases"


class DrugDatabaseDamaged(DamagedFile):
    pass


def _stamp(path: Path) -> str:
    info = path.stat()
    return f"{info.st_size}:{info.st_mtime_ns}:{info.st_ino}"


def _stamp_file(path: Path) -> Path:
    return path.with_name(path.name + ".checked")


def file_state(path: Path, *, force_check: bool = False) -> str:
    """``missing``, ``usable`` or ``outdated`` (built by an older version: rebuilt with its
    releases); raises ``DrugDatabaseDamaged`` for a damaged file."""
    from lap_app.drugs.schema import SCHEMA_VERSION

    if not path.exists():
        return "missing"
    try:
        if path.stat().st_size == 0:
            raise damaged(path, _("fichier vide"))
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version != SCHEMA_VERSION:
                return "outdated"
            if conn.execute("SELECT value FROM meta WHERE key = 'complete'").fetchone() is None:
                raise damaged(path, _("construction incomplète"))
            stamp = _stamp(path)
            checked = _stamp_file(path)
            if force_check or not checked.exists() or checked.read_text(encoding="ascii") != stamp:
                verdict = [row[0] for row in conn.execute("PRAGMA quick_check(5)")]
                if verdict != ["ok"]:
                    raise damaged(path, _("pages endommagées"))
                with contextlib.suppress(OSError):  # not recorded: checked again next time
                    checked.write_text(stamp, encoding="ascii")
        finally:
            conn.close()
    except sqlite3.Error as error:
        raise damaged(path, _("illisible par SQLite")) from error
    return "usable"


def damaged(path: Path, what: str) -> DrugDatabaseDamaged:
    releases = [name for name, _folder in kept_releases(path)]
    return DrugDatabaseDamaged(_(
        "La base des médicaments {path} est endommagée ({what}) : elle n'a pas été modifiée. Reconstruisez-la avec "
        "« lap-app drugs rebuild » : la BDPM livrée puis les versions importées ({releases}) seront "
        "réappliquées").format(path=path, what=what, releases=", ".join(releases) or _("aucune")), path)


def _releases_root(db_path: Path) -> Path:
    return db_path.parent / RELEASES_DIR


def kept_releases(db_path: Path) -> list[tuple[str, Path]]:
    """(release name, folder of its files), in import order."""
    root = _releases_root(db_path)
    try:
        index = json.loads((root / "index.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [(str(item["release"]), root / str(item["folder"])) for item in index if isinstance(item, dict)]


def keep_release(db_path: Path, files: dict[str, bytes], release: str) -> None:
    """Keep the files of a release just imported, for a later rebuild (written before the index)."""
    root = _releases_root(db_path)
    index = [{"release": name, "folder": folder.name} for name, folder in kept_releases(db_path)]
    folder = root / f"{len(index) + 1:03d}-{int(time.time())}"
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (folder / name).write_bytes(content)
    index.append({"release": release, "folder": folder.name})
    temporary = root / "index.json.tmp"
    temporary.write_text(json.dumps(index, ensure_ascii=False), encoding="utf-8")
    os.replace(temporary, root / "index.json")


def rebuild(db_path: Path) -> list[str]:
    """Rebuild from the shipped BDPM, then re-import every kept release in order; the old file
    is kept aside as ``drugs.sqlite3.damaged`` (for the support). Returns the releases re-imported."""
    from lap_app.drugs.importer import build_database, import_release

    if db_path.exists():
        aside = db_path.with_name(db_path.name + ".damaged")
        os.replace(db_path, aside)
        for suffix in ("-wal", "-shm"):
            Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    build_database(db_path)
    done = []
    for release, folder in kept_releases(db_path):
        import_release(db_path, folder, release)
        done.append(release)
    _stamp_file(db_path).unlink(missing_ok=True)
    file_state(db_path, force_check=True)
    log.info("drug database rebuilt with the releases %s", done)
    return done
