#!/usr/bin/env bash
# Serves the dashboard and prints its URL once the server answers (the headless banner, which
# would look up an outside address, is switched off in .streamlit/config.toml).
set -euo pipefail
cd "$(dirname "$0")/.."
PORT="${PORT:-8501}"

.venv/bin/streamlit run server.py --server.port "$PORT" &
pid=$!
trap 'kill "$pid" 2>/dev/null || true' INT TERM EXIT

for _ in $(seq 240); do
  if curl -fsS "http://127.0.0.1:${PORT}/_stcore/health" >/dev/null 2>&1; then
    echo "==> 看板已就绪 (dashboard ready): http://localhost:${PORT}"
    break
  fi
  kill -0 "$pid" 2>/dev/null || { echo "看板启动失败，请查看上面的日志。"; exit 1; }
  sleep 0.5
done
wait "$pid"
