#!/usr/bin/env bash
# Try several processes behind a balancer on this machine, in one command:
#   deploy/try-cluster.sh [N]        N server processes (default 2) on Redis, plus nginx
# Settings (environment): LISTEN (127.0.0.1:8080), BASE_PORT (8001: the processes take
# BASE_PORT…BASE_PORT+N-1), REDIS (redis://127.0.0.1:6379/0), BALANCER (nginx or haproxy),
# FACILITATOR_REDIS_PREFIX (try-cluster). Prints a demo meeting's links; Ctrl+C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."

N=${1:-2}
LISTEN=${LISTEN:-127.0.0.1:8080}
BASE_PORT=${BASE_PORT:-8001}
REDIS=${REDIS:-redis://127.0.0.1:6379/0}
BALANCER=${BALANCER:-nginx}
export FACILITATOR_REDIS_PREFIX=${FACILITATOR_REDIS_PREFIX:-try-cluster}
# The balancer in front sets X-Forwarded-*: believe one proxy (docs/operations.md).
export FACILITATOR_PROXY_COUNT=${FACILITATOR_PROXY_COUNT:-1}
PY=.venv/bin/python

[ -x "$PY" ] || make setup
if ! "$PY" -c "import redis, sys; redis.Redis.from_url(sys.argv[1], socket_timeout=2).ping()" "$REDIS" 2>/dev/null; then
  echo "try-cluster: Redis does not answer at $REDIS (start one: redis-server --port 6379)" >&2
  exit 1
fi
case "$BALANCER" in
  nginx) BIN=/usr/sbin/nginx ;;
  haproxy) BIN=/usr/sbin/haproxy ;;
  *) echo "try-cluster: BALANCER is nginx or haproxy" >&2; exit 2 ;;
esac
[ -x "$BIN" ] || { echo "try-cluster: $BIN is missing (apt-get install ${BALANCER/nginx/nginx-light})" >&2; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/facilitator-cluster.XXXXXX")
pids=()
stop() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "try-cluster: stopped; logs in $WORK"
}
trap stop EXIT INT TERM

upstreams=()
for ((i = 0; i < N; i++)); do
  port=$((BASE_PORT + i))
  mkdir -p "$WORK/p$port"
  "$PY" run.py serve --host 127.0.0.1 --port "$port" --redis "$REDIS" --data "$WORK/p$port" \
    --base-url "http://$LISTEN" >"$WORK/p$port.log" 2>&1 &
  pids+=($!)
  upstreams+=(--upstream "127.0.0.1:$port")
done
for ((i = 0; i < N; i++)); do
  port=$((BASE_PORT + i))
  until "$PY" -c "import requests, sys; requests.get(sys.argv[1], timeout=1).raise_for_status()" \
      "http://127.0.0.1:$port/healthz" 2>/dev/null; do
    kill -0 "${pids[$i]}" 2>/dev/null || { echo "try-cluster: process $port exited:" >&2; tail -20 "$WORK/p$port.log" >&2; exit 1; }
    sleep 0.5
  done
done

"$PY" run.py balancer-config "$BALANCER" --listen "$LISTEN" "${upstreams[@]}" >"$WORK/$BALANCER.conf"
if [ "$BALANCER" = nginx ]; then
  mkdir -p "$WORK/nginx"
  "$BIN" -p "$WORK/nginx" -c "$WORK/nginx.conf" -g "daemon off;" >"$WORK/nginx/stdout.log" 2>&1 &
else
  "$BIN" -db -f "$WORK/haproxy.conf" >"$WORK/haproxy.log" 2>&1 &
fi
pids+=($!)

"$PY" run.py create-meeting --agenda grcp7 --redis "$REDIS" --data "$WORK/p$BASE_PORT" \
  --base-url "http://$LISTEN"
echo
echo "try-cluster: $N processes (ports $BASE_PORT-$((BASE_PORT + N - 1))) behind $BALANCER on http://$LISTEN"
echo "try-cluster: configuration and logs in $WORK; Ctrl+C to stop"
wait
