#!/usr/bin/env bash
# Create the virtual environment if it is missing and install the project into it with its
# development extras (`pip install -e '.[dev]'`). The one place where installation happens:
# every Makefile target and .ci/run call this script.
#
#   VENV     where the environment lives (default: .venv in the repository)
#   PYTHON   the interpreter that creates it (default: python3; 3.11 or newer)
#   SAX_CONSTRAINTS  the pins pip installs with (default: constraints.txt; empty: resolve afresh
#            from pyproject.toml's ranges, e.g. to regenerate constraints.txt)
#
# The install is repeated whenever pyproject.toml or constraints.txt is newer than the last
# successful install, so that a changed dependency list reaches the environment without a manual step.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

VENV="${VENV:-.venv}"
PYTHON="${PYTHON:-python3}"
STAMP="$VENV/.sax-installed"
CONSTRAINTS="${SAX_CONSTRAINTS-constraints.txt}"
pip_constraints=()
if [ -n "$CONSTRAINTS" ]; then
    [ -f "$CONSTRAINTS" ] || { echo "bootstrap: $CONSTRAINTS not found (SAX_CONSTRAINTS= to install without pins)" >&2; exit 1; }
    pip_constraints=(-c "$CONSTRAINTS")
fi

if [ ! -x "$VENV/bin/python" ]; then
    if ! command -v "$PYTHON" >/dev/null 2>&1; then
        echo "bootstrap: $PYTHON not found; install Python 3.11 or newer (or set PYTHON=...)" >&2
        exit 1
    fi
    if ! "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
        echo "bootstrap: $PYTHON is $("$PYTHON" --version 2>&1); the project needs Python 3.11 or newer" >&2
        exit 1
    fi
    echo "bootstrap: creating virtual environment in $VENV"
    "$PYTHON" -m venv "$VENV"
    rm -f "$STAMP"
fi

if [ ! -f "$STAMP" ] || [ pyproject.toml -nt "$STAMP" ] || { [ -n "$CONSTRAINTS" ] && [ "$CONSTRAINTS" -nt "$STAMP" ]; }; then
    echo "bootstrap: installing the project and its development dependencies into $VENV (uv pip install ${pip_constraints[*]} -e '.[dev]')"
    echo "bootstrap: a first run fetches about a hundred packages (a minute or two); each is named as it comes"
    log="$(mktemp "${TMPDIR:-/tmp}/sax-bootstrap.XXXXXX")"
    # Never silent for long: pip says nothing while it builds and installs, so a heartbeat says so.
    started=$SECONDS
    ( while sleep 8; do echo "  ... still installing ($((SECONDS - started)) s; full log: $log)"; done ) &
    heartbeat=$!
    trap 'kill "$heartbeat" 2>/dev/null || true' EXIT
    # The installer is uv (pinned in constraints.txt, itself installed by pip): the same packages at the
    # same versions as `pip install`, resolved and unpacked in parallel (a fresh environment in ~15 s
    # instead of ~50 s with a warm pip cache, docs/benchmarks.md "Test suite"). If uv cannot be had
    # (SAX_INSTALLER=pip, or its wheel unreachable), pip installs everything itself.
    installer="${SAX_INSTALLER:-uv}"
    if [ "$installer" = uv ] && ! "$VENV/bin/python" -m pip install --disable-pip-version-check --progress-bar off -q \
            "${pip_constraints[@]}" uv >>"$log" 2>&1; then
        echo "  (uv could not be installed; installing with pip instead)"
        installer=pip
    fi
    if [ "$installer" = uv ]; then
        install=("$VENV/bin/uv" pip install --python "$VENV/bin/python" "${pip_constraints[@]}" -e '.[dev]')
    else
        install=("$VENV/bin/python" -m pip install --disable-pip-version-check --progress-bar off "${pip_constraints[@]}" -e '.[dev]')
    fi
    # The whole output goes to the log (shown in full on failure); the terminal sees one line per package.
    if ! "${install[@]}" 2>&1 \
            | tee -a "$log" | { grep --line-buffered -E '^(Collecting|Building|Installing collected|Successfully|Resolved|Prepared|Installed| \+ )' || true; } \
            | cut -c1-100 | sed -u 's/^/  /'; then
        kill "$heartbeat" 2>/dev/null || true
        cat "$log" >&2
        rm -f "$log"
        echo "bootstrap: ${install[*]} failed (output above)" >&2
        exit 1
    fi
    kill "$heartbeat" 2>/dev/null || true
    rm -f "$log"
    touch "$STAMP"
fi

# The translation catalogues (SPEC §10.5): compiled whenever a .po is newer than its .mo.
"$VENV/bin/python" scripts/compile_catalogues.py
