#!/usr/bin/env bash
# Black-box TAXII 2.1 acceptance suite (issue 2): builds `sikker` if needed, prepares a Python
# venv with the pinned OASIS client and validators, and runs pytest against a `sikker serve`
# that the suite starts itself on 127.0.0.1.
#
#   tests/taxii/run.sh                 # everything
#   tests/taxii/run.sh -k added_after  # extra arguments go to pytest
#
# Environment: VENV (default $HOME/.cache/sikker-venv), SIKKER_BIN (skip the build and use this
# binary), CARGO_TARGET_DIR, TAXII_TEST_IPS (default 5000), TAXII_KEEP_DATA=1.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
venv="${VENV:-$HOME/.cache/sikker-venv}"
requirements="$here/requirements.txt"
stamp="$venv/.sikker-requirements"

python="${PYTHON:-python3}"
want="$(cat "$requirements" <("$python" -c 'import sys; print(sys.version)'))"

# Reuse the venv only when it finished installing exactly these requirements with this Python.
if [[ -x "$venv/bin/python" && -f "$stamp" ]] && [[ "$(cat "$stamp")" == "$want" ]] \
    && "$venv/bin/python" -c 'import taxii2client, stix2validator, stix2patterns, pytest, requests' 2>/dev/null; then
  echo "taxii suite: reusing venv $venv"
else
  echo "taxii suite: creating venv $venv"
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet -r "$requirements"
  printf '%s' "$want" > "$stamp"
fi

if [[ -z "${SIKKER_BIN:-}" ]]; then
  (cd "$repo" && cargo build --quiet -p sikker)
  target="${CARGO_TARGET_DIR:-$repo/target}"
  [[ "$target" = /* ]] || target="$repo/$target"
  export SIKKER_BIN="$target/debug/sikker"
fi
if ! "$SIKKER_BIN" serve --help >/dev/null 2>&1; then
  echo "taxii suite: $SIKKER_BIN serve --help does not work" >&2
  exit 1
fi

export PYTHONDONTWRITEBYTECODE=1
cd "$here"
set +e
"$venv/bin/python" -m pytest -c "$here/pytest.ini" --rootdir "$here" "$@"
status=$?
set -e
if [[ $status -eq 5 ]]; then
  echo "taxii suite: pytest collected no test" >&2
fi
exit $status
