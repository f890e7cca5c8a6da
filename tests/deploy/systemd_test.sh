#!/usr/bin/env bash
# The systemd units: systemd-analyze verify accepts them (with ExecStart pointed at this build),
# and the service keeps its hardening. Usage: systemd_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build="$1"; src="$2"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
command -v systemd-analyze >/dev/null || { echo "systemd-analyze missing (apt-get install systemd)"; exit 1; }
sed -e "s|/usr/local/bin/gongkai-serve|$build/server/gongkai-serve|" "$src/deploy/systemd/gongkai-serve.service" > "$work/gongkai-serve.service"
sed -e "s|/usr/local/share/gongkai/gongkai-refresh|$src/deploy/gongkai-refresh|" "$src/deploy/systemd/gongkai-refresh.service" > "$work/gongkai-refresh.service"
cp "$src/deploy/systemd/gongkai-refresh.timer" "$work/"

out="$(SYSTEMD_LOG_LEVEL=warning systemd-analyze verify "$work/gongkai-serve.service" "$work/gongkai-refresh.service" "$work/gongkai-refresh.timer" 2>&1 || true)"
fail=0
if [ -n "$out" ]; then echo "FAIL systemd-analyze verify:"; echo "$out"; fail=1; else echo "ok   systemd-analyze verify"; fi
for key in "User=gongkai" "NoNewPrivileges=yes" "ProtectSystem=strict" "ReadOnlyPaths=/srv/gongkai/output" "CapabilityBoundingSet=" "PrivateTmp=yes"; do
  grep -qx -- "$key" "$src/deploy/systemd/gongkai-serve.service" && echo "ok   $key" || { echo "FAIL missing $key"; fail=1; }
done
[ $fail = 0 ] && echo "systemd units: 7 passed, 0 failed"
exit $fail
