#!/bin/sh
# Periodic harvest work of the portal; the command of the `scheduler` service in
# docker-compose.yml (bind-mounted, run with the portal image and its ckan.ini).
#
# * every DAKNONG_HARVEST_RUN_INTERVAL seconds (default 900 = 15 min): `ckan harvester run`.
#   It starts due and queued jobs, marks finished jobs as finished, re-queues lost objects and
#   enforces ckan.harvest.timeout. Without it jobs stay "Running" for ever.
# * once a day, at the first run from DAKNONG_SCHEDULE_HOUR o'clock Vietnam time (default 1):
#   `ckan daknong harvest schedule`, which plans the province's harvest calendar (quarterly
#   sources included, a frequency ckanext-harvest itself does not offer).
# * once an hour: `ckan daknong sharing-log checkpoint` (signs the sharing log's head) and
#   `ckan daknong access record-expiries` (logs the end of grants).
#
# After each successful `harvester run` the script touches $HEARTBEAT; the compose
# healthcheck reports the service unhealthy when the heartbeat is older than two intervals.
# A failing command is logged and retried at the next turn; the loop itself never stops.

CKAN_INI="${CKAN_INI:-/srv/app/ckan.ini}"
RUN_INTERVAL="${DAKNONG_HARVEST_RUN_INTERVAL:-900}"
SCHEDULE_HOUR="${DAKNONG_SCHEDULE_HOUR:-1}"
HEARTBEAT="${DAKNONG_SCHEDULER_HEARTBEAT:-/tmp/daknong-scheduler.heartbeat}"
# Vietnam time as a POSIX TZ string (UTC+7, no daylight saving): works without tzdata, which
# the slim base image does not guarantee. Used only for the daily schedule below.
LOCAL_TZ="ICT-7"

log() {
    echo "$(date -u '+%Y-%m-%dT%H:%M:%SZ') scheduler: $*"
}

# Stop promptly on `docker compose stop`: sleep runs in the background and `wait` returns as
# soon as a signal arrives, so the trap runs at once instead of after the current sleep.
trap 'log "stopping"; exit 0' TERM INT

case "$RUN_INTERVAL" in '' | *[!0-9]*) log "DAKNONG_HARVEST_RUN_INTERVAL must be seconds"; exit 2 ;; esac
case "$SCHEDULE_HOUR" in '' | *[!0-9]*) log "DAKNONG_SCHEDULE_HOUR must be 0-23"; exit 2 ;; esac

last_schedule_day=""
last_maintenance_hour=""
log "started: harvester run every ${RUN_INTERVAL}s, daily schedule from ${SCHEDULE_HOUR}:00 ICT"

while :; do
    today=$(TZ="$LOCAL_TZ" date '+%Y-%m-%d')
    hour=$(TZ="$LOCAL_TZ" date '+%H')
    # `10#` is not POSIX; strip one leading zero so that 08 and 09 are not read as octal.
    hour=${hour#0}
    if [ "$today" != "$last_schedule_day" ] && [ "${hour:-0}" -ge "$SCHEDULE_HOUR" ]; then
        if ckan -c "$CKAN_INI" daknong harvest schedule; then
            last_schedule_day="$today"
            log "daknong harvest schedule: done for $today"
        else
            log "daknong harvest schedule: failed (exit $?), retrying next turn"
        fi
    fi

    # hourly: sign the sharing log's head and record grants that have ended (NĐ 47 Art. 45)
    this_hour=$(date -u '+%Y-%m-%dT%H')
    if [ "$this_hour" != "$last_maintenance_hour" ]; then
        if ckan -c "$CKAN_INI" daknong sharing-log checkpoint \
            && ckan -c "$CKAN_INI" daknong access record-expiries; then
            last_maintenance_hour="$this_hour"
        else
            log "sharing-log checkpoint / access record-expiries: failed (exit $?), retrying"
        fi
    fi

    if ckan -c "$CKAN_INI" harvester run; then
        touch "$HEARTBEAT"
    else
        log "harvester run: failed (exit $?)"
    fi

    sleep "$RUN_INTERVAL" &
    wait $!
done
