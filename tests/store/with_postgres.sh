#!/usr/bin/env bash
# Runs COMMAND against a throwaway PostgreSQL cluster: Debian's initdb and pg_ctl create one in a
# temporary directory, listening on 127.0.0.1 only (a free port) and on a socket inside that
# directory; a database gongkai_test is created; COMMAND runs with
#   GONGKAI_TEST_PG=postgresql://gongkai@127.0.0.1:PORT/gongkai_test
#   PGHOST PGPORT PGUSER PGDATABASE   (for psql, pg_dump, pg_restore)
#   PATH                              starting with the cluster's bin directory
# and then the cluster is stopped and the directory removed, whatever happens.
# As root, the cluster runs as the postgres user (or nobody): PostgreSQL refuses to run as root.
# Usage: with_postgres.sh COMMAND [ARG...]   (GONGKAI_PG_BINDIR: another bin directory)
# Exit: COMMAND's status; without the PostgreSQL server binaries 77 (ctest SKIP_RETURN_CODE), or
# 1 when CI=true, where a skipped backend would be a hole in the suite.
set -euo pipefail

bindir="${GONGKAI_PG_BINDIR:-/usr/lib/postgresql/15/bin}"
if [ -z "${GONGKAI_PG_BINDIR:-}" ] && [ ! -x "$bindir/initdb" ]; then  # another version
  for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && bindir="$d"; done
fi
if [ ! -x "$bindir/initdb" ] || [ ! -x "$bindir/pg_ctl" ]; then
  if [ "${CI:-}" = "true" ]; then
    echo "with_postgres: FAIL: no PostgreSQL server binaries in $bindir (apt-get install postgresql)" >&2
    exit 1
  fi
  echo "with_postgres: SKIP: no PostgreSQL server binaries in $bindir (apt-get install postgresql)" >&2
  exit 77
fi
[ $# -ge 1 ] || { echo "usage: with_postgres.sh COMMAND [ARG...]" >&2; exit 2; }

work="$(mktemp -d "${TMPDIR:-/tmp}/gongkai-pg-XXXXXX")"
as_pg=()
if [ "$(id -u)" = 0 ]; then
  pg_user=postgres
  id -u "$pg_user" >/dev/null 2>&1 || pg_user=nobody
  chown "$pg_user:" "$work"
  as_pg=(runuser -u "$pg_user" --)
fi
pg() { (cd "$work" && "${as_pg[@]}" "$@"); }

cleanup() {
  if [ -f "$work/data/postmaster.pid" ]; then
    pg "$bindir/pg_ctl" -D "$work/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

pg "$bindir/initdb" -D "$work/data" -U gongkai -A trust -E UTF8 --no-locale --no-sync >"$work/initdb.log" 2>&1 ||
  { cat "$work/initdb.log" >&2; exit 1; }
pg mkdir "$work/sock"

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null ||
    echo $((20000 + RANDOM % 40000))
}
started=""
for attempt in 1 2 3 4 5; do  # another process may take the port between the probe and the start
  port="$(free_port)"
  # fsync=off: a test cluster, thrown away afterwards.
  if pg "$bindir/pg_ctl" -D "$work/data" -l "$work/server.log" -w -t 60 \
      -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$work/sock -c fsync=off -c max_connections=200" \
      start >/dev/null 2>&1; then
    started=1
    break
  fi
done
if [ -z "$started" ]; then
  echo "with_postgres: the cluster did not start:" >&2
  cat "$work/server.log" >&2 || true
  exit 1
fi

export PATH="$bindir:$PATH" PGHOST=127.0.0.1 PGPORT="$port" PGUSER=gongkai PGDATABASE=gongkai_test
createdb gongkai_test
export GONGKAI_TEST_PG="postgresql://gongkai@127.0.0.1:$port/gongkai_test"
echo "with_postgres: PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port" >&2

# In the background, so that an interrupt stops the cluster now, not when COMMAND has finished.
child=""
trap '[ -n "$child" ] && kill "$child" 2>/dev/null; exit 130' INT TERM
set +e
"$@" &
child=$!
wait "$child"
rc=$?
child=""
set -e
if [ $rc -ne 0 ]; then
  echo "with_postgres: $1 exited $rc; server log:" >&2
  tail -n 30 "$work/server.log" >&2 || true
fi
exit $rc
