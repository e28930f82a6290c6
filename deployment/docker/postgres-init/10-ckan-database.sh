#!/bin/sh
# Creates CKAN's database role and database. The postgres image runs the scripts of
# /docker-entrypoint-initdb.d (bind-mounted from deployment/docker/postgres-init) once, when
# the pg_data volume is empty; later starts skip it, so changing the variables afterwards does
# not change an existing database (see README: "Rotating the database password").
#
# CKAN gets an ordinary login role that owns its database, not the cluster superuser: it
# creates and migrates its own tables and nothing else.
#
# The entrypoint may source this file rather than execute it (when it is not executable), so
# it changes no shell options and does not call exit; a failing psql still aborts the
# initialisation because the entrypoint runs with `set -e`.

: "${CKAN_DB_USER:?CKAN_DB_USER is not set}"
: "${CKAN_DB_PASSWORD:?CKAN_DB_PASSWORD is not set}"
: "${CKAN_DB_NAME:?CKAN_DB_NAME is not set}"

# psql variables (:"name" quotes an identifier, :'name' a literal) keep the values out of the
# SQL text, so no quoting mistakes and no injection from the environment.
psql --no-psqlrc --set=ON_ERROR_STOP=1 \
    --username="$POSTGRES_USER" --dbname="${POSTGRES_DB:-$POSTGRES_USER}" \
    --set=ckan_user="$CKAN_DB_USER" \
    --set=ckan_password="$CKAN_DB_PASSWORD" \
    --set=ckan_db="$CKAN_DB_NAME" <<'SQL'
CREATE ROLE :"ckan_user" LOGIN PASSWORD :'ckan_password';
CREATE DATABASE :"ckan_db" OWNER :"ckan_user" ENCODING 'UTF8' TEMPLATE template0;
SQL
