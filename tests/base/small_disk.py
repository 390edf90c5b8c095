"""A small file system of its own for the disk-full tests: a tmpfs of a given size mounted by
the test (root: CI runs as root; elsewhere the test skips, and fails under CI=true)."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

from circuit_support import require_service


@contextlib.contextmanager
def small_filesystem(directory: Path, size_kb: int) -> Iterator[Path]:
    """``directory`` becomes a tmpfs of ``size_kb`` KiB for the duration of the block."""
    require_service(os.geteuid() == 0 and shutil.which("mount") is not None,
                    "root (to mount a size-limited tmpfs for the disk-full tests)")
    directory.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kb}k,mode=0755", "tmpfs", str(directory)], check=True)
    try:
        yield directory
    finally:
        subprocess.run(["umount", "-l", str(directory)], check=False)


def fill_leaving(directory: Path, free_bytes: int) -> Path:
    """Fill ``directory``'s file system until about ``free_bytes`` remain (a filler file)."""
    filler = directory / f"filler-{len(list(directory.glob('filler-*')))}"
    with open(filler, "wb") as stream:
        while True:
            room = shutil.disk_usage(directory).free - free_bytes
            if room <= 0:
                break
            try:
                stream.write(b"\0" * min(room, 1 << 20))
                stream.flush()
            except OSError:
                break
    return filler


def empty_fillers(directory: Path) -> None:
    for filler in directory.glob("filler-*"):
        filler.unlink()
