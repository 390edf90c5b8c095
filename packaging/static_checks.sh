#!/usr/bin/env bash
# The static checks CI runs before the tests: ruff (lint) and mypy (types; strict on the domain,
# FHIR, services, storage, base client, card, render, printing, nomenclatures and settings; the
# rest checked too, without requiring annotations). Configuration: pyproject.toml. Run it before landing:
#   bash packaging/static_checks.sh        (uses .venv; `bash packaging/bootstrap.sh test` builds it)
# Fix what it reports; `.venv/bin/ruff check --fix .` repairs the mechanical findings (import order…).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
if [ ! -x "$VENV/bin/ruff" ] || [ ! -x "$VENV/bin/mypy" ]; then
  echo "ruff/mypy missing from $VENV: run 'bash packaging/bootstrap.sh test' once (installs the [test] extra)" >&2
  exit 2
fi
status=0
echo ">> ruff"
"$VENV/bin/ruff" check --no-fix . || status=1
echo ">> mypy"
"$VENV/bin/mypy" || status=1
if [ "$status" -ne 0 ]; then
  echo "static checks failed" >&2
fi
exit "$status"
