#!/bin/sh
# Starts one Patroni node: renders its patroni.yml and pgbackrest.conf from the generated templates
# with this container's CELL_ID and NODE_NAME (docker-compose.yml), prepares the folders the
# volumes left to root, and runs Patroni as postgres (PID 1: Patroni then reaps its children).
set -eu
: "${CELL_ID:?set CELL_ID (the cell id, Patroni's scope and the pgBackRest stanza)}"
: "${NODE_NAME:?set NODE_NAME (this node: its compose service name)}"

render() {
  sed -e "s|@CELL_ID@|${CELL_ID}|g" -e "s|@NODE_NAME@|${NODE_NAME}|g" "$1" >"$2"
  chown postgres:postgres "$2"
  chmod 0600 "$2"
}
mkdir -p /etc/patroni /etc/pgbackrest
render /opt/cellpay/patroni.yml.template /etc/patroni/patroni.yml
render /opt/cellpay/pgbackrest.conf.template /etc/pgbackrest/pgbackrest.conf

# The data folder and this cell's stanza in the shared repository volume (both nodes of a cell
# archive into it, whichever is primary); the socket folder pgbackrest reaches Postgres through.
repo="/var/lib/pgbackrest/${CELL_ID}"
for dir in /var/lib/postgresql/data "$repo" "$repo/log" "$repo/lock" /tmp/cellpay-pg-sockets; do
  mkdir -p "$dir"
  chown postgres:postgres "$dir"
  chmod 0700 "$dir"
done

cd /var/lib/postgresql
exec setpriv --reuid=postgres --regid=postgres --init-groups env HOME=/var/lib/postgresql \
  patroni /etc/patroni/patroni.yml
