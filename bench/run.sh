#!/usr/bin/env bash
# Benchmark the portal against plain CKAN: `make bench`.
#   bench_catalogue.py  package_create / package_show of our `dataset` (issue 3, Performance)
#   bench_access.py     package_search on 10,000 datasets, grant visibility (issue 4)
#   bench_sharing_log.py  sharing-log overhead; 200 logged reads/s for 60 s at the log layer
#                         (entries.append from 4 processes) and over HTTP; verify 1M entries (5)
#   bench_harvest.py    first and unchanged harvest of 5,000 datasets vs the stock harvester (issue 6)
#
# Starts the data services if they are not running (deployment/scripts/stack.sh services),
# and for each benchmark creates a fresh database `ckan_bench` owned by the CKAN role, runs it
# (each uses its own Solr site ids and Redis database) and drops the database again, so the
# portal's and the tests' data are never touched. A first argument `catalogue`, `access` or
# `sharing_log` runs that benchmark only; the other arguments go to the benchmark(s), e.g.
#   bash bench/run.sh                                all three, with their defaults
#   bash bench/run.sh catalogue --iterations 300 --rounds 4
#   bash bench/run.sh access --datasets 2000 --grants 3
#   bash bench/run.sh sharing_log --quick            (or DAKNONG_BENCH_QUICK=1: a short run)
# bench_sharing_log.py also makes and drops a scratch database `${DAKNONG_BENCH_DB}_verify`
# and starts gunicorn on 127.0.0.1:${DAKNONG_BENCH_WEB_PORT:-5090} for its load test.
set -Eeuo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LOCAL=${DAKNONG_LOCAL:-$ROOT/deployment/local}
PG_PORT=${DAKNONG_PG_PORT:-5432}
DB_USER=ckan_default
export DAKNONG_BENCH_DB=${DAKNONG_BENCH_DB:-ckan_bench}

say() { printf '\033[1m[bench]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[bench] error:\033[0m %s\n' "$*" >&2; exit 1; }

bash "$ROOT/deployment/scripts/stack.sh" services >&2 || die "the data services did not start"

# The stack's PostgreSQL trusts local socket connections as `postgres`; its socket lives in
# the data directory that stack.sh recorded when it started the server.
[[ -s $LOCAL/run/pg.started ]] || die "PostgreSQL was not started by deployment/scripts/stack.sh"
SOCKET="$(cat "$LOCAL/run/pg.started")/socket"
export DAKNONG_BENCH_PG_SOCKET=$SOCKET
psql_admin() {
  if [[ $(id -u) == 0 ]]; then
    runuser -u postgres -- psql -h "$SOCKET" -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -qAt "$@"
  else
    psql -h "$SOCKET" -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -qAt "$@"
  fi
}
drop_database() {
  # bench_sharing_log.py drops its scratch database itself; this is for a run cut short
  psql_admin -c "DROP DATABASE IF EXISTS ${DAKNONG_BENCH_DB}_verify WITH (FORCE)" >/dev/null
  psql_admin -c "DROP DATABASE IF EXISTS $DAKNONG_BENCH_DB WITH (FORCE)" >/dev/null
}

create_database() {
  say "creating a fresh database $DAKNONG_BENCH_DB"
  drop_database
  psql_admin -c "CREATE DATABASE $DAKNONG_BENCH_DB OWNER $DB_USER ENCODING 'UTF8' TEMPLATE template0" \
    || die "could not create database $DAKNONG_BENCH_DB"
}
trap 'drop_database || true' EXIT

BENCHES=(catalogue access sharing_log harvest)
case ${1:-} in
  catalogue | access | sharing_log | harvest) BENCHES=("$1"); shift ;;
esac

cd "$ROOT"
for bench in "${BENCHES[@]}"; do
  create_database
  say "bench_$bench.py"
  "$ROOT/.venv/bin/python" "bench/bench_$bench.py" "$@"
  drop_database
done
