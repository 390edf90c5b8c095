"""Polling survives pcscd absent at start and restarted — with a real pcscd, a private one.

The probe runs in its own mount + network namespaces (``unshare -m -n``): a tmpfs over
/run/pcscd and its own loopback, so its pcscd and vpcd ports are invisible to the rest of
the machine and stopping it disturbs no other test. Skipped where namespaces are not
permitted (an unprivileged container), never for a missing tool when CI=true; the card
layer's fault handling is also covered by
test_card_pcsc.py::test_polling_survives_pcscd_absent_then_restarted.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.pcsc
PROBE = Path(__file__).with_name("pcscd_restart_probe.py")
SYSTEM_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"
UNSHARE = ["unshare", "-m", "-n", "--propagation", "private", "sh", "-c"]


def _namespaces_permitted() -> bool:
    probe = subprocess.run([*UNSHARE, "mount -t tmpfs none /run/pcscd && ip link set lo up"],
                           capture_output=True, timeout=60)
    return probe.returncode == 0


def test_card_events_across_pcscd_absence_and_restart(card_pki_dir, tmp_path, require_service) -> None:
    # the tools come with the CI set-up (packaging/bootstrap.sh): missing there is a failure
    tools = ("unshare", "pcscd", "ip")
    require_service(all(shutil.which(tool, path=SYSTEM_PATH) for tool in tools), "unshare, pcscd and ip (iproute2)")
    require_service(_namespaces_permitted(), "mount and network namespaces (root) for a private pcscd")
    script = (f"mount -t tmpfs none /run/pcscd && ip link set lo up && "
              f"exec {sys.executable} {PROBE} {card_pki_dir}")
    env = {"PATH": SYSTEM_PATH, "TMPDIR": str(tmp_path),
           "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
           "LAP_DATA_DIR": str(tmp_path / "data"), "LAP_CONFIG_DIR": str(tmp_path / "config")}
    # each step of the probe waits up to 60 s (pcscd started, the card seen): a loaded machine's pace
    result = subprocess.run([*UNSHARE, script], capture_output=True, text=True, timeout=600, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = dict(line.split(" ", 1) for line in result.stdout.splitlines())
    assert lines["start"] == "True False"  # first poll without pcscd: no event, no crash
    assert lines["open_without_pcscd"] == "PcscUnavailableError"
    code, message = lines["cli_without_pcscd"].split(" ", 1)
    assert code == "1" and message.startswith("Erreur_:_Le_service_des_cartes_à_puce_(pcscd)_ne_répond_pas")
    assert "card_inserted" in lines["up"] and "service_back" in lines["up"]
    assert lines["held_card"] == "ReaderGoneError"
    assert "service_lost" in lines["down"] and "card_removed" in lines["down"]
    assert "service_back" in lines["restarted"] and "card_inserted" in lines["restarted"]
    assert lines["identity"] == "810101234564"
