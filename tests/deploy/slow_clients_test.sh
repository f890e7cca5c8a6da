#!/usr/bin/env bash
# 1,000 slow connections (slowloris heads and slow POST bodies) held against gongkai-serve on
# loopback while /healthz, a page and a search must each answer in under 1 s:
#   1. from eight loopback addresses, default limits: all 1,000 stay open;
#   2. from one address, default limits: the per-address cap sheds that address's oldest, and the
#      rest of the public (probes from another address) is served as if nothing happened;
#   3. from one address with [limits] max_connections_per_address raised: all 1,000 stay open.
# The same load behind the nginx config is in nginx_test.sh. Usage: slow_clients_test.sh BUILD SRC.
set -euo pipefail
build="$1"; src="$2"
work="$(mktemp -d)"
cleanup() { [ -n "${serve_pid:-}" ] && kill "$serve_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

"$build/generator/gongkai-build" --content "$src/content/towns/bangjun" --themes "$src/themes" --output "$work/out" --now 2026-11-26T10:00:00+08:00 --quiet
probes=(--probe 200:/healthz --probe 200:/ --probe "200:/api/search?q=%E4%BD%8E%E4%BF%9D" --probe "200:/search?q=%E8%A1%8C%E6%94%BF%E5%A4%84%E7%BD%9A")
eight=127.0.0.1,127.0.0.2,127.0.0.3,127.0.0.4,127.0.0.5,127.0.0.6,127.0.0.7,127.0.0.8

serve() {  # [extra arguments]
  port=$(free_port)
  "$build/server/gongkai-serve" --output "$work/out" --listen "127.0.0.1:$port" --now 2026-11-26T10:00:00+08:00 "$@" 2>>"$work/serve.log" &
  serve_pid=$!
  for i in $(seq 1 200); do curl -sf -o /dev/null "http://127.0.0.1:$port/healthz" && return 0; sleep 0.05; done
  echo "gongkai-serve did not start"; cat "$work/serve.log"; exit 1
}
stop() { kill "$serve_pid"; wait "$serve_pid" || true; serve_pid=""; }

fail=0
serve
python3 "$src/tests/deploy/slow_clients.py" --port "$port" --conns 1000 --sources "$eight" "${probes[@]}" --min-held 1000 \
  --label "direct, 8 addresses" || fail=1
python3 "$src/tests/deploy/slow_clients.py" --port "$port" --conns 1000 --sources 127.0.0.2 --probe-source 127.0.0.1 "${probes[@]}" --settle 2 \
  --label "direct, 1 address, default cap" || fail=1
stop
printf '[limits]\nmax_connections_per_address = 2000\n' > "$work/serve.toml"
serve --config "$work/serve.toml"
python3 "$src/tests/deploy/slow_clients.py" --port "$port" --conns 1000 --sources 127.0.0.1 "${probes[@]}" --min-held 1000 \
  --label "direct, 1 address, cap raised" || fail=1
stop
[ $fail = 0 ] && echo "slow clients against gongkai-serve: 3 passed, 0 failed"
exit $fail
