#!/usr/bin/env bash
# Starts the local PostgreSQL (Debian's cluster) and creates a role the tests may use to
# create throwaway databases. Prints the URL to export as ASSISTANT_TEST_POSTGRES_URL.
#
#   eval "export $(bash test/support/postgres-setup.sh)"
#
# Needs the Debian package postgresql. Idempotent.
set -euo pipefail
# Only the VAR=value line goes to stdout (it is eval'ed); everything else goes to stderr.
exec 3>&1 1>&2

version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
cluster=main
if ! pg_lsclusters -h | awk -v v="$version" -v c="$cluster" '$1 == v && $2 == c' | grep -q .; then
  pg_createcluster "$version" "$cluster" >/dev/null 2>&1 3>&-
fi
pg_ctlcluster "$version" "$cluster" start >/dev/null 2>&1 3>&- || true
for _ in $(seq 1 50); do pg_isready -q -h 127.0.0.1 && break; sleep 0.2; done
pg_isready -q -h 127.0.0.1 || { echo "PostgreSQL did not start" >&2; exit 1; }

psql_admin() { runuser -u postgres -- psql -v ON_ERROR_STOP=1 -qtA "$@"; }
if [ "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = 'assistant_test'")" != "1" ]; then
  psql_admin -c "CREATE ROLE assistant_test LOGIN CREATEDB PASSWORD 'assistant_test'"
fi
# Dropping a test database WITH (FORCE) may have to end an autovacuum worker on it.
psql_admin -c "GRANT pg_signal_backend TO assistant_test"
if [ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = 'assistant_test'")" != "1" ]; then
  psql_admin -c "CREATE DATABASE assistant_test OWNER assistant_test"
fi
echo >&3 "ASSISTANT_TEST_POSTGRES_URL=postgres://assistant_test:assistant_test@127.0.0.1:5432/assistant_test"
