#!/usr/bin/env bash
# Run the Python integration tests against a built `lookout` binary.
#   Tests/Integration/run.sh [pytest args...]
# Creates <repo>/.venv (git-ignored) from requirements.txt when missing or stale.
# LOOKOUT_BIN overrides the binary (default <repo>/.build/debug/lookout).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
venv="${LOOKOUT_TEST_VENV:-$repo/.venv}"
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$here/requirements.txt" | cut -d' ' -f1)"
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
  echo "$want" > "$stamp"
fi
cd "$repo"
# Test paths given? Run those; otherwise the whole Tests/Integration directory.
for arg in "$@"; do
  case "$arg" in -*) ;; *) exec "$venv/bin/python" -m pytest "$@" ;; esac
done
exec "$venv/bin/python" -m pytest "$here" "$@"
