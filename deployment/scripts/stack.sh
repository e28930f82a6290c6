#!/usr/bin/env bash
# The local stack of the Đắk Nông portal: install what is missing, start PostgreSQL, Redis,
# Solr and the portal, run the tests, stop what we started.
#
#   stack.sh up      install, start services, load demo data, start web + harvest processes
#   stack.sh test    install, start services (test database), run ruff and the whole test suite
#   stack.sh down    stop exactly the processes that `up` / `test` started
#   stack.sh status  show what runs
#   stack.sh screenshots  docs/screenshots/ from the running portal (after `up`)
#   stack.sh services / install / check   start only the data services / install only / check tools
#
# Every step is idempotent: a second `up` reuses what already runs. Ports are overridable:
# DAKNONG_PG_PORT (5432), DAKNONG_REDIS_PORT (6379), DAKNONG_SOLR_PORT (8983),
# DAKNONG_WEB_PORT (5000).
set -Eeuo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LOCAL=${DAKNONG_LOCAL:-$ROOT/deployment/local}
RUN=$LOCAL/run
LOGS=$LOCAL/logs
VENV=$ROOT/.venv
SOLR_DIR=$ROOT/deployment/solr

export DAKNONG_PG_PORT=${DAKNONG_PG_PORT:-5432}
export DAKNONG_REDIS_PORT=${DAKNONG_REDIS_PORT:-6379}
export DAKNONG_SOLR_PORT=${DAKNONG_SOLR_PORT:-8983}
export DAKNONG_WEB_PORT=${DAKNONG_WEB_PORT:-5000}
export DAKNONG_WEB_WORKERS=${DAKNONG_WEB_WORKERS:-2}
export DAKNONG_DB_USER=ckan_default DAKNONG_DB_PASSWORD=${DAKNONG_DB_PASSWORD:-pass}
export DAKNONG_DB_NAME=ckan_default DAKNONG_TEST_DB_NAME=ckan_test
export DAKNONG_LOCAL=$LOCAL
export DAKNONG_PLUGINS=${DAKNONG_PLUGINS:-"activity daknong daknong_sharing_log scheming_datasets scheming_organizations harvest dcat daknong_harvest daknong_ckan_harvester daknong_dcat_harvester daknong_spreadsheet_harvester"}
PG_BIN=${DAKNONG_PG_BIN:-/usr/lib/postgresql/15/bin}
APT_PACKAGES=(postgresql-15 postgresql-client-15 redis-server libpq-dev gcc make curl python3-dev libmagic1
              python3-venv openjdk-17-jdk-headless maven openssl)
# What the browser tests and the screenshots need besides (issue 12 §6, §8): Debian's Chromium
# and its driver, and npm for axe-core (package.json); only `test` and `screenshots` install them.
BROWSER_APT_PACKAGES=(chromium chromium-driver)

say() { printf '\033[1m[daknong]\033[0m %s\n' "$*"; }
die() { printf '\033[1;31m[daknong] error:\033[0m %s\n' "$*" >&2; exit 1; }
trap 'die "step failed at line $LINENO: $BASH_COMMAND (logs in $LOGS)"' ERR

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pid_alive() { [[ -s $1 ]] && kill -0 "$(head -n1 "$1")" 2>/dev/null; }
as_root() { [[ $(id -u) == 0 ]]; }
hash_of() { cat "$@" 2>/dev/null | sha256sum | cut -c1-16; }

# --- installation --------------------------------------------------------------------------

install_apt() {
  local missing=()
  for pkg in "${APT_PACKAGES[@]}" "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
      || missing+=("$pkg")
  done
  # A JDK and Maven that the machine already has elsewhere are fine.
  if command -v java >/dev/null && command -v javac >/dev/null; then
    missing=("${missing[@]/openjdk-17-jdk-headless}")
  fi
  command -v mvn >/dev/null && missing=("${missing[@]/maven}")
  # Node.js and npm from elsewhere (nodesource, nvm) are fine too.
  command -v npm >/dev/null && missing=("${missing[@]/npm}")
  read -r -a missing <<<"${missing[*]}"
  ((${#missing[@]} == 0)) && return 0
  as_root || die "missing Debian packages: ${missing[*]} — run as root or install them with apt-get"
  say "installing Debian packages: ${missing[*]}"
  mkdir -p "$LOGS"
  { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"; } \
    >"$LOGS/apt.log" 2>&1 || die "apt-get install failed (see $LOGS/apt.log)"
  # Debian starts a redis-server and a PostgreSQL cluster where it can; we run our own.
  if command -v service >/dev/null; then service redis-server stop >/dev/null 2>&1 || true; fi
}

check_tools() {
  command -v java >/dev/null || die "Java is missing: install a JDK 17 (apt-get install openjdk-17-jdk-headless)"
  command -v mvn >/dev/null || die "Maven is missing: install it (apt-get install maven)"
  [[ -x $PG_BIN/postgres ]] || die "PostgreSQL 15 server not found in $PG_BIN (apt-get install postgresql-15)"
  command -v redis-server >/dev/null || die "redis-server is missing (apt-get install redis-server)"
}

install_python() {
  local stamp=$VENV/.daknong-requirements
  local want
  want=$(hash_of "$ROOT/requirements.txt" "$ROOT/dev-requirements.txt" "$ROOT/setup.py")
  if [[ ! -x $VENV/bin/python ]]; then
    say "creating the virtualenv in .venv"
    python3 -m venv "$VENV" || die "python3 -m venv failed: install python3-venv"
  fi
  if [[ ! -f $stamp || $(cat "$stamp") != "$want" ]]; then
    say "installing Python dependencies (pinned; first time takes a few minutes)"
    mkdir -p "$LOGS"
    { "$VENV/bin/pip" install -q --upgrade pip wheel "setuptools>=68" &&
      "$VENV/bin/pip" install -q -r "$ROOT/dev-requirements.txt" &&
      "$VENV/bin/pip" install -q --no-deps -e "$ROOT"; } >"$LOGS/pip.log" 2>&1 \
      || die "pip install failed (see $LOGS/pip.log)"
    echo "$want" >"$stamp"
  fi
}

install_solr() {
  local stamp=$SOLR_DIR/lib/.pom-hash want
  want=$(hash_of "$SOLR_DIR/pom.xml")
  if [[ ! -f $stamp || $(cat "$stamp") != "$want" ]]; then
    say "fetching Solr 9 jars from Maven Central (first time only)"
    mkdir -p "$LOGS"
    rm -rf "$SOLR_DIR/lib"
    (cd "$SOLR_DIR" && mvn -B -q package) >"$LOGS/maven.log" 2>&1 \
      || die "Maven could not fetch the Solr jars (see $LOGS/maven.log)"
    echo "$want" >"$stamp"
  fi
}

install_node_tools() {
  # axe-core, the accessibility engine the browser tests inject (pinned in package-lock.json)
  local stamp=$ROOT/node_modules/.daknong-lock want
  want=$(hash_of "$ROOT/package-lock.json")
  if [[ ! -f $stamp || $(cat "$stamp") != "$want" ]]; then
    say "installing the browser tests' npm packages (package-lock.json)"
    (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error) >"$LOGS/npm.log" 2>&1 \
      || die "npm ci failed (see $LOGS/npm.log)"
    echo "$want" >"$stamp"
  fi
}

install_all() {
  mkdir -p "$RUN" "$LOGS"
  install_apt
  check_tools
  install_python
  install_solr
}

install_browser() {
  install_apt "${BROWSER_APT_PACKAGES[@]}" npm
  command -v chromium >/dev/null || die "Chromium is missing: apt-get install chromium chromium-driver"
  command -v chromedriver >/dev/null || die "ChromeDriver is missing: apt-get install chromium-driver"
  install_node_tools
}

# --- PostgreSQL ----------------------------------------------------------------------------

# The server refuses to run as root, so as root it runs as `postgres`; that user must be able
# to reach its data directory, which a checkout under a private folder (mktemp -d) does not
# allow. Then the data lives under /var/lib/postgresql, keyed by this checkout's path.
pg_data_dir() {
  if [[ -n ${DAKNONG_PG_DATA:-} ]]; then echo "$DAKNONG_PG_DATA"; return; fi
  if as_root && ! runuser -u postgres -- test -x "$LOCAL" 2>/dev/null; then
    echo "/var/lib/postgresql/ckanext-daknong-$(echo "$ROOT" | sha256sum | cut -c1-12)"
  else
    echo "$LOCAL/pg"
  fi
}

# Run as the server's user, from a folder it can enter (the checkout may be private).
pg_run() { if as_root; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi; }

# The server's log sits with our logs when the server's user can write there, else beside
# its data directory.
pg_log_file() {
  local data=$1
  if [[ $data == "$LOCAL/pg" ]]; then echo "$LOGS/postgresql.log"; else echo "$data.log"; fi
}

# Who may log in (issue 10, Low): no account is trusted. Over TCP every role needs its password
# (scram-sha-256); on the cluster's private socket only the superuser `postgres`, by peer
# authentication, for the operating-system account that runs this script (and `postgres`
# itself): that is the admin route of stack.sh and of the tests' DAKNONG_PG_ADMIN_URL.
# Written at every start, so a cluster initialised by an earlier version is fixed up too.
pg_auth_files() {
  local data=$1 me
  me=$(id -un)
  printf '%s\n' \
    "# Written by deployment/scripts/stack.sh (pg_auth_files); edits are overwritten at start." \
    "local   all   postgres                 peer map=daknong_admin" \
    "local   all   all                      reject" \
    "host    all   all       127.0.0.1/32   scram-sha-256" \
    "host    all   all       ::1/128        scram-sha-256" | pg_run tee "$data/pg_hba.conf" >/dev/null
  printf '%s\n' \
    "# Written by deployment/scripts/stack.sh (pg_auth_files)." \
    "daknong_admin   postgres   postgres" \
    "daknong_admin   $me   postgres" | pg_run tee "$data/pg_ident.conf" >/dev/null
  if pg_run "$PG_BIN/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    pg_run "$PG_BIN/pg_ctl" -D "$data" reload >/dev/null
  fi
}

pg_start() {
  local data sock
  data=$(pg_data_dir)
  sock=$data/socket
  if pg_run "$PG_BIN/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    pg_auth_files "$data"
    pg_run "$PG_BIN/pg_isready" -q -h "$sock" -p "$DAKNONG_PG_PORT" \
      || die "the portal's PostgreSQL runs on another port than $DAKNONG_PG_PORT: run 'make down' first"
    say "PostgreSQL already running on 127.0.0.1:$DAKNONG_PG_PORT (reused)"
    return 0
  fi
  if port_busy "$DAKNONG_PG_PORT"; then
    die "port $DAKNONG_PG_PORT is used by another program (another PostgreSQL?): stop it or set DAKNONG_PG_PORT"
  fi
  if [[ ! -f $data/PG_VERSION ]]; then
    say "initialising a PostgreSQL cluster in $data"
    mkdir -p "$data"
    as_root && chown postgres:postgres "$data"
    chmod 700 "$data"
    pg_run "$PG_BIN/initdb" -D "$data" -U postgres --auth-local=peer --auth-host=scram-sha-256 \
      -E UTF8 --locale=C.UTF-8 >"$LOGS/pg-init.log" 2>&1 \
      || die "initdb failed (see $LOGS/pg-init.log)"
  fi
  pg_auth_files "$data"
  pg_run mkdir -p "$sock"
  local log
  log=$(pg_log_file "$data")
  say "starting PostgreSQL on 127.0.0.1:$DAKNONG_PG_PORT (log: $log)"
  touch "$log"
  as_root && chown postgres "$log"
  pg_run "$PG_BIN/pg_ctl" -D "$data" -w -t 60 -l "$log" \
    -o "-p $DAKNONG_PG_PORT -k $sock -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off" \
    start >/dev/null || die "PostgreSQL did not start (see $log)"
  echo "$data" >"$RUN/pg.started"
}

psql_admin() {
  local data
  data=$(pg_data_dir)
  pg_run psql -h "$data/socket" -p "$DAKNONG_PG_PORT" -U postgres -v ON_ERROR_STOP=1 -qAt "$@"
}

pg_ensure_database() {
  local db=$1
  psql_admin -d postgres -c "DO \$\$ BEGIN
      IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$DAKNONG_DB_USER') THEN
        CREATE ROLE $DAKNONG_DB_USER LOGIN PASSWORD '$DAKNONG_DB_PASSWORD';
      END IF; END \$\$;" || die "could not create the database role"
  if [[ -z $(psql_admin -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '$db'") ]]; then
    say "creating database $db"
    psql_admin -d postgres -c "CREATE DATABASE $db OWNER $DAKNONG_DB_USER ENCODING 'UTF8' TEMPLATE template0" \
      || die "could not create database $db"
  fi
}

# --- Redis ---------------------------------------------------------------------------------

redis_start() {
  if timeout 3 redis-cli -h 127.0.0.1 -p "$DAKNONG_REDIS_PORT" ping 2>/dev/null | grep -q PONG; then
    say "Redis already running on 127.0.0.1:$DAKNONG_REDIS_PORT (reused)"
    return 0
  fi
  port_busy "$DAKNONG_REDIS_PORT" \
    && die "port $DAKNONG_REDIS_PORT is used by a program that is not Redis: stop it or set DAKNONG_REDIS_PORT"
  mkdir -p "$LOCAL/redis"
  say "starting Redis on 127.0.0.1:$DAKNONG_REDIS_PORT"
  redis-server --bind 127.0.0.1 --port "$DAKNONG_REDIS_PORT" --daemonize yes \
    --pidfile "$RUN/redis.pid" --dir "$LOCAL/redis" --logfile "$LOGS/redis.log" \
    --save "" --appendonly no >/dev/null || die "Redis did not start (see $LOGS/redis.log)"
  for _ in $(seq 50); do
    timeout 3 redis-cli -h 127.0.0.1 -p "$DAKNONG_REDIS_PORT" ping 2>/dev/null | grep -q PONG && return 0
    sleep 0.1
  done
  die "Redis did not answer on 127.0.0.1:$DAKNONG_REDIS_PORT (see $LOGS/redis.log)"
}

# --- Solr ----------------------------------------------------------------------------------

solr_ping() { curl -fs --max-time 5 "http://127.0.0.1:$DAKNONG_SOLR_PORT/solr/ckan/admin/ping" >/dev/null 2>&1; }

solr_home() {
  local home=$LOCAL/solr/home conf=$LOCAL/solr/home/ckan/conf schema
  schema=$("$VENV/bin/python" -c 'import ckan, os; print(os.path.join(os.path.dirname(ckan.__file__), "config", "solr", "schema.xml"))')
  [[ -f $schema ]] || die "CKAN's schema.xml not found in the installed ckan package ($schema)"
  mkdir -p "$conf"
  printf '<?xml version="1.0" encoding="UTF-8"?>\n<solr></solr>\n' >"$home/solr.xml"
  printf 'name=ckan\n' >"$home/ckan/core.properties"
  # CKAN's own schema, copied at every start so that it follows the installed CKAN.
  cp "$schema" "$conf/schema.xml"
  cp "$SOLR_DIR/solrconfig.xml" "$conf/solrconfig.xml"
  for f in synonyms.txt protwords.txt stopwords.txt; do [[ -f $conf/$f ]] || : >"$conf/$f"; done
  echo "$home"
}

solr_start() {
  if solr_ping; then
    say "Solr already running on 127.0.0.1:$DAKNONG_SOLR_PORT (reused)"
    return 0
  fi
  port_busy "$DAKNONG_SOLR_PORT" \
    && die "port $DAKNONG_SOLR_PORT is used by a program that does not serve the ckan core: stop it or set DAKNONG_SOLR_PORT"
  local home
  home=$(solr_home)
  say "starting Solr 9 on 127.0.0.1:$DAKNONG_SOLR_PORT"
  : >"$LOGS/solr-launcher.log"
  (cd "$LOCAL/solr" && exec nohup java -Xms256m -Xmx768m -XX:+UseSerialGC -XX:+ExitOnOutOfMemoryError \
    -Dfile.encoding=UTF-8 -Dsolr.log.dir="$LOGS" -Dlog4j2.configurationFile="$SOLR_DIR/log4j2.xml" \
    -Djetty.host=127.0.0.1 -Dhost=127.0.0.1 \
    -cp "$SOLR_DIR/lib/*" "$SOLR_DIR/Launcher.java" "$home" "$DAKNONG_SOLR_PORT" "$LOGS/solr.log" \
    >>"$LOGS/solr-launcher.log" 2>&1 </dev/null) &
  echo $! >"$RUN/solr.pid"
  for _ in $(seq 240); do
    solr_ping && return 0
    if ! pid_alive "$RUN/solr.pid"; then
      rm -f "$RUN/solr.pid"
      tail -n 5 "$LOGS/solr-launcher.log" >&2
      die "Solr stopped during start-up (see $LOGS/solr-launcher.log and $LOGS/solr.log)"
    fi
    sleep 0.5
  done
  die "Solr did not answer /solr/ckan/admin/ping within 120 s (see $LOGS/solr.log)"
}

# --- the portal ----------------------------------------------------------------------------

render_config() {
  local target=$LOCAL/ckan.ini secret_file=$LOCAL/secret-key
  [[ -s $secret_file ]] || { umask 077; head -c 32 /dev/urandom | base64 | tr -d '/+=\n' >"$secret_file"; }
  # NĐ 47 Art. 45: the sharing log's checkpoints get a key of their own, not one derived from
  # SECRET_KEY. A stack that already ran signed with the derived key: its older checkpoints stay
  # verifiable through the explicit retired-key entry derived:SECRET_KEY (docs/sharing-log.md).
  local log_key_file=$LOCAL/sharing-log-key previous_file=$LOCAL/sharing-log-previous-keys
  if [[ ! -s $log_key_file ]]; then
    if [[ -s $target ]] && ! grep -q '^ckanext.daknong.sharing_log.signing_key = .' "$target"; then
      (umask 077; echo 'derived:SECRET_KEY' >"$previous_file")
    fi
    (umask 077; head -c 32 /dev/urandom | base64 | tr -d '/+=\n' >"$log_key_file")
  fi
  DAKNONG_SHARING_LOG_SIGNING_KEY=$(cat "$log_key_file") \
  DAKNONG_SHARING_LOG_PREVIOUS_KEYS=$(cat "$previous_file" 2>/dev/null || true) \
  DAKNONG_SECRET_KEY=$(cat "$secret_file") "$VENV/bin/python" - "$ROOT/deployment/ckan.ini.in" "$target" <<'PY'
import os, string, sys
source, target = sys.argv[1:]
text = string.Template(open(source, encoding="utf-8").read()).substitute(os.environ)
with open(target, "w", encoding="utf-8") as out:
    out.write(text)
os.chmod(target, 0o600)
PY
  mkdir -p "$LOCAL/storage"
}

ckan_cli() { "$VENV/bin/ckan" -c "$LOCAL/ckan.ini" "$@"; }

render_supervisor() {
  local conf=$LOCAL/supervisord.conf
  cat >"$conf" <<EOF
; Generated by deployment/scripts/stack.sh — the portal's long-running processes.
[supervisord]
logfile=$LOGS/supervisord.log
pidfile=$RUN/supervisord.pid
childlogdir=$LOGS
nodaemon=false

[unix_http_server]
file=$RUN/supervisor.sock
chmod=0700

[supervisorctl]
serverurl=unix://$RUN/supervisor.sock

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[program:web]
command=$VENV/bin/gunicorn --workers $DAKNONG_WEB_WORKERS --bind 127.0.0.1:$DAKNONG_WEB_PORT --timeout 120 --access-logfile $LOGS/web-access.log wsgi:application
directory=$ROOT/deployment
environment=CKAN_INI="$LOCAL/ckan.ini"
stopasgroup=true
killasgroup=true
redirect_stderr=true
stdout_logfile=$LOGS/web.log

[program:maintenance]
; hourly: sign the sharing log's head, record grants that have ended (NĐ 47 Art. 45, Art. 35)
command=/bin/sh -c 'while true; do $VENV/bin/ckan -c $LOCAL/ckan.ini daknong sharing-log checkpoint; $VENV/bin/ckan -c $LOCAL/ckan.ini daknong access record-expiries; sleep \${DAKNONG_MAINTENANCE_SECONDS:-3600}; done'
stopasgroup=true
killasgroup=true
redirect_stderr=true
stdout_logfile=$LOGS/maintenance.log

[program:harvest-gather]
command=$VENV/bin/ckan -c $LOCAL/ckan.ini harvester gather-consumer
stopasgroup=true
killasgroup=true
redirect_stderr=true
stdout_logfile=$LOGS/harvest-gather.log

[program:harvest-fetch]
command=$VENV/bin/ckan -c $LOCAL/ckan.ini harvester fetch-consumer
stopasgroup=true
killasgroup=true
redirect_stderr=true
stdout_logfile=$LOGS/harvest-fetch.log

[program:harvest-run]
; closes finished jobs, re-queues lost objects and enforces timeouts
command=/bin/sh -c 'while true; do $VENV/bin/ckan -c $LOCAL/ckan.ini harvester run; sleep \${DAKNONG_HARVEST_RUN_SECONDS:-300}; done'
stopasgroup=true
killasgroup=true
redirect_stderr=true
stdout_logfile=$LOGS/harvest-run.log

[program:harvest-schedule]
; the quarterly schedule (QĐ 43 Art. 20.3, 21.3): due jobs, retries, stuck jobs, failure e-mails
command=/bin/sh -c 'while true; do $VENV/bin/ckan -c $LOCAL/ckan.ini daknong harvest schedule; sleep \${DAKNONG_HARVEST_SCHEDULE_SECONDS:-3600}; done'
stopasgroup=true
killasgroup=true
redirect_stderr=true
stdout_logfile=$LOGS/harvest-schedule.log
EOF
  echo "$conf"
}

supervisor_start() {
  local conf
  conf=$(render_supervisor)
  if pid_alive "$RUN/supervisord.pid"; then
    say "process supervisor already running: reloading web and harvest processes"
    "$VENV/bin/supervisorctl" -c "$conf" update >/dev/null
    "$VENV/bin/supervisorctl" -c "$conf" restart all >/dev/null
  else
    port_busy "$DAKNONG_WEB_PORT" \
      && die "port $DAKNONG_WEB_PORT is used by another program: stop it or set DAKNONG_WEB_PORT"
    say "starting the portal (gunicorn, $DAKNONG_WEB_WORKERS workers) and the harvest processes"
    "$VENV/bin/supervisord" -c "$conf" || die "the process supervisor did not start (see $LOGS/supervisord.log)"
  fi
  for _ in $(seq 120); do
    curl -fs --max-time 5 "http://127.0.0.1:$DAKNONG_WEB_PORT/api/3/action/status_show" >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  tail -n 20 "$LOGS/web.log" >&2 || true
  die "the portal did not answer on http://127.0.0.1:$DAKNONG_WEB_PORT (see $LOGS/web.log)"
}

init_database() {
  say "initialising the portal database and plugin migrations"
  ckan_cli db init >"$LOGS/db-init.log" 2>&1 || die "ckan db init failed (see $LOGS/db-init.log)"
  for plugin in $(plugins_with_migrations); do
    ckan_cli db upgrade -p "$plugin" >>"$LOGS/db-init.log" 2>&1 \
      || die "migration of plugin $plugin failed (see $LOGS/db-init.log)"
  done
  harden_sharing_log "$LOCAL/ckan.ini" "$DAKNONG_DB_NAME"
}

plugins_with_migrations() {
  # harvest, then every daknong plugin that carries migrations (migration/<plugin>/versions)
  local dir
  echo harvest
  for dir in "$ROOT"/ckanext-daknong/ckanext/daknong/migration/*/versions; do
    [[ -d $dir ]] && basename "$(dirname "$dir")"
  done
  return 0
}

# A superuser connection to one of our databases, through the cluster's private socket.
pg_admin_url() { echo "postgresql://postgres@/$1?host=$(pg_data_dir)/socket&port=$DAKNONG_PG_PORT"; }

harden_sharing_log() {
  # NĐ 47 Art. 45: the application role may only read and append to the sharing log.
  local ini=$1 db=$2
  "$VENV/bin/ckan" -c "$ini" daknong sharing-log harden --admin-url "$(pg_admin_url "$db")" \
    >>"$LOGS/db-init.log" 2>&1 || die "hardening the sharing log failed (see $LOGS/db-init.log)"
}

cmd_up() {
  local started=$SECONDS
  install_all
  pg_start
  pg_ensure_database "$DAKNONG_DB_NAME"
  redis_start
  solr_start
  render_config
  init_database
  say "loading the province's agencies and the demo data"
  ckan_cli daknong agencies load >"$LOGS/demo.log" 2>&1 || die "loading agencies failed (see $LOGS/demo.log)"
  ckan_cli daknong demo load >>"$LOGS/demo.log" 2>&1 || die "loading demo data failed (see $LOGS/demo.log)"
  ckan_cli search-index rebuild >>"$LOGS/demo.log" 2>&1 || die "search index rebuild failed (see $LOGS/demo.log)"
  supervisor_start
  say "ready in $((SECONDS - started)) s"
  cat <<EOF

  Portal:          http://127.0.0.1:$DAKNONG_WEB_PORT
  Solr:            http://127.0.0.1:$DAKNONG_SOLR_PORT/solr/ckan
  Config:          $LOCAL/ckan.ini
  Logs:            $LOGS/
  Demo accounts:   $LOCAL/demo-accounts.json

EOF
  "$VENV/bin/python" - "$LOCAL/demo-accounts.json" <<'PY'
import json, sys
accounts = json.load(open(sys.argv[1], encoding="utf-8"))
rows = [("sysadmin", accounts["sysadmin"])]
for agency in accounts["agencies"]:
    rows += [(f"{agency['organization']} admin", agency["admin"]),
             (f"{agency['organization']} member", agency["member"])]
rows.append(("no agency", accounts["no_agency"]))
for role, user in rows:
    print(f"  {role:42} {user['name']:16} {user['password']}")
PY
  echo
  say "stop everything with: make down"
}

datastore_test_database() {
  # The DataStore is not part of the portal, but where a province enables it its queries are
  # logged like every other read (NĐ 47 Art. 45): the tests enable it on a database of its own.
  pg_ensure_database datastore_test
  psql_admin -d postgres -c "DO \$\$ BEGIN
      IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'datastore_ro') THEN
        CREATE ROLE datastore_ro LOGIN PASSWORD '$DAKNONG_DB_PASSWORD';
      END IF; END \$\$;" || die "could not create the DataStore read-only role"
  "$VENV/bin/python" - "$DAKNONG_TEST_DB_NAME" "$DAKNONG_DB_USER" <<'PY' | psql_admin -d postgres >/dev/null \
    || die "could not set the DataStore test database's permissions"
import pathlib, sys, ckanext.datastore as ds
template = (pathlib.Path(ds.__file__).parent / "set_permissions.sql").read_text()
print(template.format(maindb=sys.argv[1], datastoredb="datastore_test", mainuser=sys.argv[2],
                      writeuser=sys.argv[2], readuser="datastore_ro"))
PY
  export CKAN_DATASTORE_WRITE_URL="postgresql://$DAKNONG_DB_USER:$DAKNONG_DB_PASSWORD@127.0.0.1:$DAKNONG_PG_PORT/datastore_test"
  export CKAN_DATASTORE_READ_URL="postgresql://datastore_ro:$DAKNONG_DB_PASSWORD@127.0.0.1:$DAKNONG_PG_PORT/datastore_test"
}

cmd_test() {
  install_all
  install_browser
  pg_start
  pg_ensure_database "$DAKNONG_TEST_DB_NAME"
  redis_start
  solr_start
  export CKAN_SQLALCHEMY_URL="postgresql://$DAKNONG_DB_USER:$DAKNONG_DB_PASSWORD@127.0.0.1:$DAKNONG_PG_PORT/$DAKNONG_TEST_DB_NAME"
  export CKAN_SOLR_URL="http://127.0.0.1:$DAKNONG_SOLR_PORT/solr/ckan"
  export CKAN_REDIS_URL="redis://127.0.0.1:$DAKNONG_REDIS_PORT/1"
  cd "$ROOT"
  say "ruff (lint and format)"
  "$VENV/bin/ruff" check . && "$VENV/bin/ruff" format --check . >/dev/null \
    || die "ruff found problems: run .venv/bin/ruff check --fix . && .venv/bin/ruff format ."
  "$VENV/bin/ckan" -c test.ini db init >"$LOGS/test-db-init.log" 2>&1 \
    || die "ckan db init on the test database failed (see $LOGS/test-db-init.log)"
  "$VENV/bin/ckan" -c test.ini db upgrade -p daknong_sharing_log >>"$LOGS/test-db-init.log" 2>&1 \
    || die "the sharing-log migration on the test database failed (see $LOGS/test-db-init.log)"
  harden_sharing_log test.ini "$DAKNONG_TEST_DB_NAME"
  datastore_test_database
  # tests that play an attacker with superuser rights (tampering with the log) use this
  DAKNONG_PG_ADMIN_URL=$(pg_admin_url "$DAKNONG_TEST_DB_NAME")
  export DAKNONG_PG_ADMIN_URL
  say "running the test suite against real PostgreSQL, Solr and Redis"
  trap - ERR
  "$VENV/bin/python" -m pytest "$@"
}

stop_pidfile() {
  local name=$1 file=$2
  if pid_alive "$file"; then
    say "stopping $name"
    kill "$(head -n1 "$file")" 2>/dev/null || true
    for _ in $(seq 100); do pid_alive "$file" || break; sleep 0.1; done
    pid_alive "$file" && kill -9 "$(head -n1 "$file")" 2>/dev/null || true
  fi
  rm -f "$file"
}

cmd_down() {
  if pid_alive "$RUN/supervisord.pid"; then
    say "stopping the portal and harvest processes"
    "$VENV/bin/supervisorctl" -c "$LOCAL/supervisord.conf" shutdown >/dev/null 2>&1 || true
    for _ in $(seq 100); do pid_alive "$RUN/supervisord.pid" || break; sleep 0.1; done
  fi
  rm -f "$RUN/supervisord.pid"
  stop_pidfile Solr "$RUN/solr.pid"
  stop_pidfile Redis "$RUN/redis.pid"
  if [[ -s $RUN/pg.started ]]; then
    say "stopping PostgreSQL"
    pg_run "$PG_BIN/pg_ctl" -D "$(cat "$RUN/pg.started")" -m fast -w stop >/dev/null 2>&1 || true
    rm -f "$RUN/pg.started"
  fi
  say "stopped"
}

cmd_status() {
  local data
  data=$(pg_data_dir)
  pg_run "$PG_BIN/pg_ctl" -D "$data" status >/dev/null 2>&1 && say "PostgreSQL: running" || say "PostgreSQL: stopped"
  timeout 3 redis-cli -p "$DAKNONG_REDIS_PORT" ping >/dev/null 2>&1 && say "Redis: running" || say "Redis: stopped"
  solr_ping && say "Solr: running" || say "Solr: stopped"
  pid_alive "$RUN/supervisord.pid" && "$VENV/bin/supervisorctl" -c "$LOCAL/supervisord.conf" status || say "portal: stopped"
}

main() {
  local cmd=${1:-}
  shift || true
  case $cmd in
    up) cmd_up ;;
    test) cmd_test "$@" ;;
    down) cmd_down ;;
    status) cmd_status ;;
    install) install_all; install_browser ;;
    services) install_all; pg_start; redis_start; solr_start ;;
    check) check_tools ;;
    screenshots)
      install_all
      install_browser
      "$VENV/bin/python" "$ROOT/deployment/scripts/screenshots.py" --portal "http://127.0.0.1:$DAKNONG_WEB_PORT"
      ;;
    *) die "usage: stack.sh up|test|down|status|screenshots|services|install|check" ;;
  esac
}

main "$@"
