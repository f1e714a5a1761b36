#!/usr/bin/env bash
# PostgreSQL server binaries for the tests that run the SQL backend's postgres
# output on a real server (tests/backends/conftest.py starts a throwaway one).
# Installs Debian's `postgresql` only when no server is present, so a second
# run is a no-op; prints the directory holding initdb/pg_ctl.
set -euo pipefail

find_bin() {
    local d
    for d in /usr/lib/postgresql/*/bin; do
        if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
            echo "$d"
        fi
    done | sort -V | tail -n 1
}

bin="$(find_bin)"
if [ -z "$bin" ]; then
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1; then
            SUDO="sudo"
        else
            echo "postgres.sh: PostgreSQL is not installed and installing it needs root" >&2
            exit 1
        fi
    fi
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq >/dev/null
    $SUDO apt-get install -y -qq --no-install-recommends postgresql >/dev/null
    bin="$(find_bin)"
    if [ -z "$bin" ]; then
        echo "postgres.sh: installed postgresql but found no initdb/pg_ctl under /usr/lib/postgresql/*/bin" >&2
        exit 1
    fi
fi
echo "$bin"
