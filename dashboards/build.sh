#!/usr/bin/env bash
# Build the dashboards into a static site from the current serving file.
#
#   DEALLEDGER_SERVING_DB  serving file to read (default: $DEALLEDGER_HOME/serving.duckdb, <repo>/.dealledger)
#   DEALLEDGER_PYTHON      Python with duckdb for the page loaders (default: <repo>/.venv/bin/python)
#   DASHBOARDS_OUT         output folder (default: dashboards/dist)
#
# npm dependencies come from the committed package-lock.json (npm ci) when node_modules is missing.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
cd "$here"

serving_db="${DEALLEDGER_SERVING_DB:-${DEALLEDGER_HOME:-$repo/.dealledger}/serving.duckdb}"
if [[ ! -f "$serving_db" ]]; then
  echo "dashboards: serving file not found: $serving_db" >&2
  echo "dashboards: run the pipeline (make demo) or set DEALLEDGER_SERVING_DB" >&2
  exit 2
fi
export DEALLEDGER_SERVING_DB="$(cd "$(dirname "$serving_db")" && pwd)/$(basename "$serving_db")"

if [[ -z "${DEALLEDGER_PYTHON:-}" ]]; then
  if [[ -x "$repo/.venv/bin/python" ]]; then DEALLEDGER_PYTHON="$repo/.venv/bin/python"; else DEALLEDGER_PYTHON="python3"; fi
fi
if ! "$DEALLEDGER_PYTHON" -c "import duckdb" 2>/dev/null; then
  echo "dashboards: $DEALLEDGER_PYTHON cannot import duckdb (run make install, or set DEALLEDGER_PYTHON)" >&2
  exit 2
fi
export DEALLEDGER_PYTHON

out="${DASHBOARDS_OUT:-$here/dist}"
mkdir -p "$(dirname "$out")"
out="$(cd "$(dirname "$out")" && pwd)/$(basename "$out")"
# The output folder is replaced whole; refuse to replace a folder that is not a previous build.
if [[ -d "$out" && -n "$(ls -A "$out")" && ! -d "$out/_observablehq" ]]; then
  echo "dashboards: $out is not empty and holds no previous build; refusing to replace it" >&2
  exit 2
fi

# One build at a time in this tree: builds share Framework's cache folder.
exec 9>"$here/.build.lock"
flock 9

if [[ ! -x node_modules/.bin/observable ]]; then
  echo "dashboards: installing npm dependencies (npm ci)" >&2
  npm ci --no-audit --no-fund --loglevel=error
fi

# Framework re-runs a loader only when the loader file changes; the serving file changes under it, so
# drop cached page and data loader output. Bundled node modules (_node, _npm) stay cached.
cache="src/.observablehq/cache"
if [[ -d "$cache" ]]; then
  find "$cache" -mindepth 1 -maxdepth 1 ! -name _node ! -name _npm -exec rm -rf {} +
fi

export OBSERVABLE_TELEMETRY_DISABLE=true
export PYTHONDONTWRITEBYTECODE=1
# Build into a fresh folder and swap it in, so a failed build leaves the previous site untouched.
staging="$out.building"
rm -rf "$staging"
echo "dashboards: building from $DEALLEDGER_SERVING_DB into $out" >&2
DASHBOARDS_OUT="$staging" node_modules/.bin/observable build
rm -rf "$out"
mv "$staging" "$out"
echo "dashboards: built $(find "$out" -maxdepth 1 -name '*.html' | wc -l) pages into $out" >&2
