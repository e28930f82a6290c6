#!/usr/bin/env bash
# Benchmark the portal's `dataset` against plain CKAN (issue 3, Performance): `make bench`.
#
# Starts the data services if they are not running (deployment/scripts/stack.sh services),
# creates a fresh database `ckan_bench` owned by the CKAN role, runs bench/bench_catalogue.py
# (which uses its own Solr site id and Redis database) and drops the database again, so the
# portal's and the tests' data are never touched. Arguments go to bench_catalogue.py, e.g.
#   bash bench/run.sh --iterations 300 --rounds 4
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
psql_admin() {
  if [[ $(id -u) == 0 ]]; then
    runuser -u postgres -- psql -h "$SOCKET" -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -qAt "$@"
  else
    psql -h "$SOCKET" -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -qAt "$@"
  fi
}
drop_database() { psql_admin -c "DROP DATABASE IF EXISTS $DAKNONG_BENCH_DB WITH (FORCE)" >/dev/null; }

say "creating a fresh database $DAKNONG_BENCH_DB"
drop_database
psql_admin -c "CREATE DATABASE $DAKNONG_BENCH_DB OWNER $DB_USER ENCODING 'UTF8' TEMPLATE template0" \
  || die "could not create database $DAKNONG_BENCH_DB"
trap 'drop_database || true' EXIT

cd "$ROOT"
"$ROOT/.venv/bin/python" bench/bench_catalogue.py "$@"
