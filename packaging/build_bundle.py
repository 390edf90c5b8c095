"""Builds the Linux desktop bundle and its archive.

    .venv/bin/python packaging/build_bundle.py [--dist build/dist] [--work build/work] [--no-archive]

1. PyInstaller one-folder build (packaging/lap-app.spec) -> DIST/lap-app/lap-app + _internal/
2. the desktop integration files beside it -> DIST/lap-app/share/{applications,icons,metainfo}
   and the per-user installer DIST/lap-app/install.sh
3. the archive users download -> DIST/lap-app-VERSION-linux-x86_64.tar.gz

Prints the build time and the bundle size. Needs PyInstaller: ``pip install -e ".[packaging]"``.
"""

from __future__ import annotations

import argparse
import platform
import shutil
import subprocess
import sys
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SPEC = HERE / "lap-app.spec"
APP_ID = "fr.lap_app.LAP"


@dataclass(frozen=True)
class Build:
    folder: Path  # DIST/lap-app
    executable: Path  # DIST/lap-app/lap-app
    archive: Path | None
    seconds: float
    size_bytes: int


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def version() -> str:
    sys.path.insert(0, str(ROOT))
    from lap_app import __version__

    return __version__


def add_desktop_files(folder: Path) -> None:
    """The freedesktop files, laid out as under a prefix (``share/...``), and the installer."""
    share = folder / "share"
    linux = HERE / "linux"
    copies = {
        linux / f"{APP_ID}.desktop": share / "applications" / f"{APP_ID}.desktop",
        linux / f"{APP_ID}.metainfo.xml": share / "metainfo" / f"{APP_ID}.metainfo.xml",
        linux / "lap-app.svg": share / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg",
        linux / "lap-app.png": share / "icons" / "hicolor" / "256x256" / "apps" / f"{APP_ID}.png",
        linux / "install.sh": folder / "install.sh",
    }
    for source, target in copies.items():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)


def make_archive(folder: Path) -> Path:
    machine = platform.machine().lower() or "unknown"
    archive = folder.parent / f"lap-app-{version()}-linux-{machine}.tar.gz"
    with tarfile.open(archive, "w:gz", compresslevel=6) as tar:
        tar.add(folder, arcname="lap-app")
    return archive


def build(dist: Path, work: Path, *, archive: bool = True, python: str = sys.executable) -> Build:
    start = time.perf_counter()
    # the bundle keeps the demo: the build environment must have the [server] extra
    probe = subprocess.run([python, "-c", "import fastapi, uvicorn"], capture_output=True, text=True)  # noqa: S603
    if probe.returncode != 0:
        raise RuntimeError('the [server] extra is missing from the build environment (pip install -e ".[packaging]"):'
                           f" the bundle would have no demo\n{probe.stderr[-1000:]}")
    command = [python, "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN",
               "--distpath", str(dist), "--workpath", str(work), str(SPEC)]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)  # noqa: S603 - our own argv
    if result.returncode != 0:
        raise RuntimeError(f"PyInstaller failed ({result.returncode}):\n{result.stderr[-4000:]}")
    folder = dist / "lap-app"
    add_desktop_files(folder)
    seconds = time.perf_counter() - start
    size = folder_size(folder)
    return Build(folder, folder / "lap-app", make_archive(folder) if archive else None, seconds, size)


def main() -> int:
    parser = argparse.ArgumentParser(description="Build the LAP desktop bundle (PyInstaller one-folder).")
    parser.add_argument("--dist", type=Path, default=ROOT / "build" / "dist")
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "work")
    parser.add_argument("--no-archive", action="store_true")
    args = parser.parse_args()
    result = build(args.dist.resolve(), args.work.resolve(), archive=not args.no_archive)
    print(f"bundle:   {result.folder}")
    print(f"build:    {result.seconds:.1f} s")
    print(f"size:     {result.size_bytes / 2**20:.1f} MiB unpacked")
    if result.archive:
        print(f"archive:  {result.archive} ({result.archive.stat().st_size / 2**20:.1f} MiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
