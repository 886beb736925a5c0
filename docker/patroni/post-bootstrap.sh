#!/bin/sh
# Patroni runs this once, on the node that bootstraps the cell's cluster, as
# `post-bootstrap.sh <stanza> <connection URL>`: the cellpay database (the launcher's
# createCellpayDatabase) and the pgBackRest stanza the WAL archives into (its ensureStanza).
# Until the stanza exists archive_command fails and Postgres keeps the segments to retry.
set -eu
stanza="$1"
url="$2"
psql "$url" -v ON_ERROR_STOP=1 -qc "create database cellpay"
pgbackrest --config=/etc/pgbackrest/pgbackrest.conf --stanza="$stanza" stanza-create
