#!/usr/bin/env bash
# Preview the dashboards on http://127.0.0.1:${PORT:-3000}/
#
#   dashboards/serve.sh          build from the current serving file, then serve the static site
#   dashboards/serve.sh --live   Framework's preview server, which reloads pages as their files change
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
port="${PORT:-3000}"

if [[ "${1:-}" == "--live" ]]; then
  cd "$here"
  [[ -x node_modules/.bin/observable ]] || npm ci --no-audit --no-fund --loglevel=error
  if [[ -z "${DEALLEDGER_PYTHON:-}" && -x "$repo/.venv/bin/python" ]]; then
    export DEALLEDGER_PYTHON="$repo/.venv/bin/python"
  fi
  export DEALLEDGER_SERVING_DB="${DEALLEDGER_SERVING_DB:-${DEALLEDGER_HOME:-$repo/.dealledger}/serving.duckdb}"
  export OBSERVABLE_TELEMETRY_DISABLE=true PYTHONDONTWRITEBYTECODE=1
  find src/.observablehq/cache -mindepth 1 -maxdepth 1 ! -name _node ! -name _npm -exec rm -rf {} + 2>/dev/null || true
  exec node_modules/.bin/observable preview --host 127.0.0.1 --port "$port" --no-open
fi

"$here/build.sh"
out="${DASHBOARDS_OUT:-$here/dist}"
python="${DEALLEDGER_PYTHON:-python3}"
if [[ -z "${DEALLEDGER_PYTHON:-}" && -x "$repo/.venv/bin/python" ]]; then python="$repo/.venv/bin/python"; fi
echo "dashboards: serving $out on http://127.0.0.1:$port/ (Ctrl-C stops)" >&2
exec "$python" -m http.server "$port" --bind 127.0.0.1 --directory "$out"
