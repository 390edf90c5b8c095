"""The card-like PKCS#11 filter in front of SoftHSM2 (``card_filter.c``): PIN tries and removal.

Built with gcc on first use into ``directory`` (the README's test command installs gcc and
the PKCS#11 header, libp11-kit-dev). A process reaches it with ``env()``; the test or the
bench then pulls the card or lets a signature pull it, as a GP would.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

from lap_app.standins.softhsm.tokens import SoftHsm

SOURCE = Path(__file__).with_name("card_filter.c")
HEADER_DIRS = ("/usr/include/p11-kit-1",)
MAX_TRIES = 3


def card_filter_buildable() -> bool:
    return shutil.which("gcc") is not None and any(Path(d, "p11-kit", "pkcs11.h").is_file() for d in HEADER_DIRS)


def build_card_filter(directory: Path) -> Path:
    """The compiled module (rebuilt when the source changes)."""
    source = SOURCE.read_bytes()
    target = Path(directory) / f"lap-card-filter-{hashlib.sha256(source).hexdigest()[:12]}.so"
    if not target.is_file():
        partial = target.with_suffix(f".{os.getpid()}.tmp")
        includes = [f"-I{d}" for d in HEADER_DIRS]
        gcc = shutil.which("gcc") or "gcc"
        subprocess.run([gcc, "-shared", "-fPIC", "-O2", *includes, str(SOURCE), "-o", str(partial), "-ldl"],  # noqa: S603 - our argv
                       check=True, capture_output=True, timeout=120)
        partial.replace(target)
    return target


class CardFilter:
    """The filter over ``softhsm``'s tokens, its state (tries, pulled) under ``state_dir``."""

    def __init__(self, softhsm: SoftHsm, state_dir: Path, build_dir: Path | None = None) -> None:
        self.softhsm = softhsm
        self.state_dir = Path(state_dir)
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.module_path = str(build_card_filter(build_dir or softhsm.directory))

    def env(self) -> dict[str, str]:
        return {**self.softhsm.env(), "LAP_CARD_FILTER_TARGET": self.softhsm.module_path,
                "LAP_CARD_FILTER_STATE": str(self.state_dir)}

    def install_in_this_process(self) -> None:
        os.environ.update({k: v for k, v in self.env().items()
                           if k in ("SOFTHSM2_CONF", "LAP_CARD_FILTER_TARGET", "LAP_CARD_FILTER_STATE")})

    def reset(self) -> None:
        """The card back in the reader, its PIN counter at three tries."""
        for name in ("pulled", "pull-on-sign", "tries"):
            (self.state_dir / name).unlink(missing_ok=True)

    def pull(self) -> None:
        (self.state_dir / "pulled").touch()

    def insert(self) -> None:
        (self.state_dir / "pulled").unlink(missing_ok=True)

    def pull_on_next_signature(self, let_through: int = 0) -> None:
        """Pull the card when a signature arrives, after ``let_through`` others."""
        (self.state_dir / "pull-on-sign").write_text(f"{let_through}\n", encoding="ascii")

    @property
    def pulled(self) -> bool:
        return (self.state_dir / "pulled").exists()

    @property
    def tries_left(self) -> int:
        try:
            return int((self.state_dir / "tries").read_text(encoding="ascii").strip())
        except (OSError, ValueError):
            return MAX_TRIES
