#!/bin/sh
# Backs up the running portal: a PostgreSQL dump of CKAN's database and an archive of CKAN's
# file storage (the ckan_storage volume: uploaded resources, organisation images).
# QĐ 43/2022/QĐ-UBND Art. 8.4 requires a backup after every update of the database; cron runs
# this script (README, "Backups"), and operators run it by hand after any bulk change.
#
#   backup.sh [db|storage|all]        default: all
#
# Run on the Docker host, as a user allowed to use Docker. Environment:
#   BACKUP_DIR        where to write (default /var/backups/daknong); put it on another disk,
#                     and copy it off the host.
#   BACKUP_KEEP_DAYS  delete this script's backups older than this (default 30)
#
# Nothing is read from .env: pg_dump runs inside the `db` container with the variables that
# container already has, so no password appears on a command line or in this script.
# Files are written under a temporary name and renamed when complete, so a crash never
# leaves a truncated file that looks like a backup.

set -eu

WHAT="${1:-all}"
BACKUP_DIR="${BACKUP_DIR:-/var/backups/daknong}"
BACKUP_KEEP_DAYS="${BACKUP_KEEP_DAYS:-30}"

case "$WHAT" in
    db | storage | all) ;;
    *) echo "usage: $0 [db|storage|all]" >&2; exit 2 ;;
esac
case "$BACKUP_KEEP_DAYS" in '' | *[!0-9]*) echo "BACKUP_KEEP_DAYS must be a number of days" >&2; exit 2 ;; esac

# docker compose finds docker-compose.yml (and the project name) from this directory.
cd "$(dirname "$0")"
# Dumps contain every account and every non-public dataset: readable by the owner only.
umask 077
mkdir -p "$BACKUP_DIR"
stamp=$(date -u '+%Y%m%dT%H%M%SZ')

log() {
    echo "$(date -u '+%Y-%m-%dT%H:%M:%SZ') backup: $*"
}

if [ "$WHAT" = db ] || [ "$WHAT" = all ]; then
    target="$BACKUP_DIR/db-$stamp.dump"
    # Custom format: compressed, restorable selectively (ownership is chosen by pg_restore).
    docker compose exec -T db sh -c \
        'exec pg_dump --username="$POSTGRES_USER" --format=custom "$CKAN_DB_NAME"' \
        > "$target.partial"
    mv "$target.partial" "$target"
    log "database -> $target ($(du -h "$target" | cut -f1))"
fi

if [ "$WHAT" = storage ] || [ "$WHAT" = all ]; then
    target="$BACKUP_DIR/storage-$stamp.tar.gz"
    # Through the running portal container: it has the volume mounted and runs as its owner.
    docker compose exec -T ckan tar -C /var/lib/ckan -czf - . > "$target.partial"
    mv "$target.partial" "$target"
    log "storage -> $target ($(du -h "$target" | cut -f1))"
fi

# Retention: only files this script names, never anything else in BACKUP_DIR.
find "$BACKUP_DIR" -maxdepth 1 -type f \
    \( -name 'db-*.dump' -o -name 'storage-*.tar.gz' -o -name '*.partial' \) \
    -mtime +"$BACKUP_KEEP_DAYS" -delete
