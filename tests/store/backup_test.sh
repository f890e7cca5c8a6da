#!/usr/bin/env bash
# The backup and restore of docs/public-writes.md ("Storage, backup and restore"), for real:
# rows are written, backed up while a writer keeps writing, then altered and deleted; the restore
# brings back exactly the backed-up rows, and the store carries on from them.
# Usage: backup_test.sh sqlite     TOOL
#        with_postgres.sh backup_test.sh postgresql TOOL   (PG* and GONGKAI_TEST_PG set)
# TOOL is gongkai-store-tool.
set -euo pipefail
backend="$1"; tool="$2"
work="$(mktemp -d)"
writer=""
trap '[ -n "$writer" ] && kill "$writer" 2>/dev/null; rm -rf "$work"' EXIT
fail=0; passed=0
ok() { echo "ok   $*"; passed=$((passed + 1)); }
bad() { echo "FAIL: $*"; fail=1; }
check() {  # check WHAT GOT WANT
  if [ "$2" = "$3" ]; then ok "$1"; else bad "$1: got '$2', want '$3'"; fi
}

case "$backend" in
  sqlite)
    db="$work/store.db"
    url="sqlite:$db"
    # q SQL: one value from the live database, or from FILE with q_file
    q() { sqlite3 "$db" "$1"; }
    ;;
  postgresql)
    url="postgresql:host=$PGHOST port=$PGPORT user=$PGUSER dbname=$PGDATABASE"  # conninfo form
    q() { psql -qtAX -v ON_ERROR_STOP=1 -c "$1"; }
    ;;
  *) echo "usage: backup_test.sh sqlite|postgresql TOOL" >&2; exit 2 ;;
esac
consistent="SELECT (SELECT COUNT(*) FROM applications) + (SELECT COUNT(*) FROM messages) - (SELECT COUNT(*) FROM events)"

"$tool" "$url" seed 100 >"$work/seed.log"
cat "$work/seed.log"
check "100 applications written" "$("$tool" "$url" count applications)" 100

# Online: a writer keeps submitting during the backup (and is killed afterwards, mid-transaction
# perhaps, as a crash would).
"$tool" "$url" seed 1000000 >/dev/null &
writer=$!
wait_for() {  # wait_for N: until the live database holds more than N applications (30 s at most)
  for _ in $(seq 300); do
    [ "$(q "SELECT COUNT(*) FROM applications")" -gt "$1" ] && return 0
    sleep 0.1
  done
  return 1
}
wait_for 120 || bad "the writer did not write"
if [ "$backend" = sqlite ]; then
  sqlite3 "$db" ".backup '$work/backup.db'"
  backup_apps="$(sqlite3 "$work/backup.db" "SELECT COUNT(*) FROM applications")"
  check "the backup passes integrity_check" "$(sqlite3 "$work/backup.db" "PRAGMA integrity_check")" ok
  check "the backup is one transaction's snapshot (every row has its event)" \
    "$(sqlite3 "$work/backup.db" "$consistent")" 0
else
  pg_dump -Fc -f "$work/backup.dump"
  # What the dump holds, without restoring it over the live database: its data as SQL.
  backup_apps="$(pg_restore -f - --data-only -t applications "$work/backup.dump" | grep -c '^YSQ-')"
fi
wait_for $((backup_apps + 20)) && ok "the writer went on writing during and after the backup" ||
  bad "the writer stopped at the backup"
kill "$writer"
wait "$writer" 2>/dev/null || true
writer=""
live_apps="$(q "SELECT COUNT(*) FROM applications")"
echo "     backed up $backup_apps applications; the writer went on to $live_apps"
[ "$backup_apps" -gt 120 ] && [ "$backup_apps" -lt "$live_apps" ] &&
  ok "the backup was taken while the writer wrote ($backup_apps of $live_apps)" ||
  bad "backup taken at $backup_apps applications, live $live_apps: not during the writes"

# Damage: an altered row, deleted rows, new rows.
"$tool" "$url" set-status YSQ-bangjun-2026-00001 withdrawn
check "altered" "$("$tool" "$url" status YSQ-bangjun-2026-00001)" withdrawn
q "DELETE FROM applications WHERE id LIKE 'YSQ-bangjun-2026-0000%'" >/dev/null
check "deleted" "$("$tool" "$url" status YSQ-bangjun-2026-00002 2>/dev/null || echo gone)" gone

# Restore (the server stopped: here, no writer is running).
if [ "$backend" = sqlite ]; then
  # A -wal file left by a crash belongs to the old file: it must not be replayed onto the copy.
  rm -f "$db-wal" "$db-shm"
  cp "$work/backup.db" "$db"
else
  pg_restore --clean --if-exists --single-transaction --exit-on-error -d "$PGDATABASE" "$work/backup.dump"
fi
check "applications back to the backup's count" "$("$tool" "$url" count applications)" "$backup_apps"
check "the deleted application is back" "$("$tool" "$url" status YSQ-bangjun-2026-00002)" submitted
check "the altered application is as it was" "$("$tool" "$url" status YSQ-bangjun-2026-00001)" submitted
check "every row has its event after the restore" "$(q "$consistent")" 0
check "schema version after the restore" "$(q "SELECT MAX(version) FROM schema_migrations")" 2
# The receipt counters came back with the rows: the next number follows the restored ones.
"$tool" "$url" seed 1 >/dev/null
next="$(printf 'YSQ-bangjun-2026-%05d' $((backup_apps + 1)))"
check "the next receipt number continues from the restored counter ($next)" "$("$tool" "$url" status "$next")" submitted
check "and is unique" "$(q "SELECT COUNT(*) FROM applications WHERE id = '$next'")" 1

[ $fail = 0 ] && echo "backup and restore ($backend): $passed passed, 0 failed"
exit $fail
