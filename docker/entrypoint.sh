#!/bin/sh
# Roles of the lyg image. Rendered inis, secrets and uploads live in
# $LYG_VAR_DIR (a volume shared by every container of one deployment).
#
#   bootstrap          render inis, create roles/databases, migrate, sysadmin, seed
#   portal public      gunicorn for the public portal on :5000
#   portal internal    gunicorn for the internal portal on :5000
#   gather | fetch     harvest queue consumers
#   scheduler          runs `ckan harvester run` every $LYG_HARVEST_INTERVAL seconds
#   ckan ARGS...       any ckan command against internal.ini
set -e
VAR="${LYG_VAR_DIR:-/var/lib/lyg}"
WORKER_INI="$VAR/internal.ini"

wait_for_ini() {
  i=0
  until [ -f "$1" ]; do
    i=$((i + 1))
    if [ "$i" -gt 300 ]; then echo "error: $1 not rendered; run the bootstrap role" >&2; exit 2; fi
    sleep 1
  done
}

role="${1:-portal}"
[ $# -gt 0 ] && shift
case "$role" in
  bootstrap)
    exec python -m ckanext.lyg_dev bootstrap
    ;;
  portal)
    portal="${1:-public}"
    wait_for_ini "$VAR/$portal.ini"
    export CKAN_INI="$VAR/$portal.ini"
    exec gunicorn -c python:ckanext.lyg_dev.gunicorn_conf \
      --bind "0.0.0.0:${PORT:-5000}" --name "lyg-$portal" \
      ckanext.lyg_dev.wsgi:application
    ;;
  gather)
    wait_for_ini "$WORKER_INI"
    exec python -m ckanext.lyg_dev harvester --ini "$WORKER_INI" gather-consumer
    ;;
  fetch)
    wait_for_ini "$WORKER_INI"
    exec python -m ckanext.lyg_dev harvester --ini "$WORKER_INI" fetch-consumer
    ;;
  scheduler)
    wait_for_ini "$WORKER_INI"
    exec python -m ckanext.lyg_dev scheduler --ini "$WORKER_INI"
    ;;
  ckan)
    exec ckan -c "$WORKER_INI" "$@"
    ;;
  *)
    exec "$role" "$@"
    ;;
esac
