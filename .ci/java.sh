#!/usr/bin/env bash
# A Java runtime for the Spark engine's tests (pyspark starts a JVM). Installs
# Debian's headless JRE only when no `java` is on the PATH, so a second run is a no-op.
set -euo pipefail
if command -v java >/dev/null 2>&1; then
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq --no-install-recommends default-jre-headless >/dev/null
java -version 2>&1 | head -n 1
