#!/usr/bin/env bash
# Sets up a developer workstation (Debian/Ubuntu) and runs the demo or the test suite.
#   packaging/bootstrap.sh demo   -> system packages, .venv, then `lap-app demo`
#   packaging/bootstrap.sh test   -> system packages, .venv, static checks (ruff, mypy), pcscd + CUPS, pytest
#                                    on LAP_TEST_WORKERS (default 4) parallel workers; LAP_TEST_WORKERS=0: serial
#                                    (the tests start their own throw-away PostgreSQL cluster with
#                                    initdb/pg_ctl in a temporary directory, tests/postgres_cluster.py)
#   packaging/bootstrap.sh test ARGS -> the same, pytest ARGS only (static checks skipped: a partial run;
#                                       STATIC_CHECKS=1 forces them)
# Idempotent: a second run installs nothing and only starts what is not running.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
MODE=${1:-test}
shift || true

APT_PACKAGES=(
  python3-venv python3-dev gcc swig pkg-config
  pcscd libpcsclite-dev vsmartcard-vpcd iproute2
  softhsm2 opensc libp11-kit-dev
  cups cups-client printer-driver-cups-pdf
  postgresql
  poppler-utils zbar-tools xvfb xdotool openbox fonts-dejavu-core
  binutils appstream desktop-file-utils
  libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3
  libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-randr0
  libxcb-render-util0 libxcb-xinerama0 libxcb-image0
)

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

install_system_packages() {
  local missing=()
  for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo ">> apt: ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

PYTHON=${PYTHON:-python3}
setup_venv() {
  local stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
  if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
  fi
  if [ ! -f "$stamp" ]; then
    echo ">> pip: installing the project and its test tools into .venv"
    .venv/bin/python -m pip install -q --upgrade pip >/dev/null
    .venv/bin/python -m pip install -q -e ".[server,test,packaging]"
    rm -f .venv/.installed-*
    touch "$stamp"
  fi
}

start_pcscd() {
  if ! pgrep -x pcscd >/dev/null; then
    echo ">> starting pcscd"
    as_root mkdir -p /run/pcscd
    as_root sh -c 'pcscd --foreground >/tmp/lap-pcscd.log 2>&1 &'
    for _ in $(seq 50); do [ -S /run/pcscd/pcscd.comm ] && break; sleep 0.1; done
  fi
}

start_cups() {
  if ! lpstat -r 2>/dev/null | grep -q "is running"; then
    echo ">> starting cupsd"
    as_root /usr/sbin/cupsd
    for _ in $(seq 50); do lpstat -r 2>/dev/null | grep -q "is running" && break; sleep 0.1; done
  fi
  if ! lpstat -p PDF >/dev/null 2>&1; then
    as_root lpadmin -p PDF -v cups-pdf:/ -E -m lsb/usr/cups-pdf/CUPS-PDF_opt.ppd
    as_root lpadmin -d PDF
  fi
}

# PostgreSQL refuses to run as root: a root run (CI container) starts the tests' cluster as the
# unprivileged account Debian's package creates (LAP_PG_OS_USER names another one).
ensure_postgres_account() {
  [ "$(id -u)" -eq 0 ] || return 0
  local account=${LAP_PG_OS_USER:-postgres}
  if ! id "$account" >/dev/null 2>&1; then
    echo ">> creating the unprivileged account $account for the tests' PostgreSQL cluster"
    useradd --system --no-create-home --shell /usr/sbin/nologin "$account"
  fi
}

install_system_packages
setup_venv

case "$MODE" in
  demo)
    start_pcscd || true  # the demo falls back to the in-process virtual reader
    exec .venv/bin/lap-app demo "$@"
    ;;
  test)
    if [ $# -eq 0 ] || [ "${STATIC_CHECKS:-0}" = 1 ]; then
      bash packaging/static_checks.sh
    fi
    if [ $# -eq 0 ]; then
      # The whole suite on LAP_TEST_WORKERS pytest workers (pytest-xdist; 0 = one process, serial).
      # More workers than cores: many tests wait on a subprocess (a base, a card, a killed client).
      # Each file stays on one worker, the card reader, CUPS and X files all on one (tests/conftest.py).
      set -- -n "${LAP_TEST_WORKERS:-4}" --dist loadfile
    fi
    start_pcscd
    start_cups
    ensure_postgres_account
    export QT_QPA_PLATFORM=offscreen
    exec .venv/bin/python -m pytest "$@"
    ;;
  *)
    echo "usage: $0 demo|test [args...]" >&2
    exit 2
    ;;
esac
