#!/usr/bin/env bash
# A Spark standalone cluster on 127.0.0.1 for the cluster tests (tests/cluster/) and
# the scale benchmark: one master, two workers and a Spark Connect server against
# that master, all from the pyspark package (no separate Spark download).
#
#   bash .ci/spark.sh up      start what is not running yet, wait until each part answers
#   bash .ci/spark.sh down    stop what `up` started
#   bash .ci/spark.sh status  say what answers
#   bash .ci/spark.sh env     the shell lines that point the tests at the cluster
#
# Everything (logs, pid files, the workers' scratch space) is under $SEGDSL_SPARK_DIR
# (default out/spark-cluster in the repository). Executors run the project's Python
# ($SEGDSL_PYTHON, default .venv/bin/python), so a Python UDF pickled by the driver
# unpickles there. `up` twice is `up` once; `down` with nothing running does nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${SEGDSL_PYTHON:-$PWD/.venv/bin/python}"
DIR="${SEGDSL_SPARK_DIR:-$PWD/out/spark-cluster}"
HOST=127.0.0.1
MASTER_PORT="${SEGDSL_SPARK_MASTER_PORT:-7077}"
CONNECT_PORT="${SEGDSL_SPARK_CONNECT_PORT:-15002}"
# Small on purpose: CI machines have two cores. Each worker offers more cores than the
# machine has so that the Connect server's application and a test's own application
# (each capped at two executors of one core) run side by side instead of queueing.
WORKER_CORES="${SEGDSL_SPARK_WORKER_CORES:-4}"
WORKER_MEMORY="${SEGDSL_SPARK_WORKER_MEMORY:-3g}"
EXECUTOR_MEMORY="${SEGDSL_SPARK_EXECUTOR_MEMORY:-1g}"
# The Connect server's driver collects results for its clients: the tests prove nothing
# proportional to the input is collected, so its cap is the tests' 2 MB unless told otherwise.
CONNECT_MAX_RESULT="${SEGDSL_SPARK_CONNECT_MAX_RESULT:-2m}"
TIMEOUT="${SEGDSL_SPARK_TIMEOUT:-120}"

MASTER_URL="spark://$HOST:$MASTER_PORT"
CONNECT_URL="sc://$HOST:$CONNECT_PORT"
MASTER_CLASS=org.apache.spark.deploy.master.Master
WORKER_CLASS=org.apache.spark.deploy.worker.Worker
CONNECT_CLASS=org.apache.spark.sql.connect.service.SparkConnectServer

say() { echo "spark.sh: $*" >&2; }

spark_home() {
    "$PYTHON" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))' 2>/dev/null || {
        say "no pyspark in $PYTHON (make install, or set SEGDSL_PYTHON)"; exit 1; }
}

setup_env() {
    SPARK_HOME="$(spark_home)"
    export SPARK_HOME
    export SPARK_LOG_DIR="$DIR/logs" SPARK_PID_DIR="$DIR/pids" SPARK_WORKER_DIR="$DIR/work"
    export SPARK_LOCAL_DIRS="$DIR/local" SPARK_CONF_DIR="$DIR/conf" SPARK_IDENT_STRING=segdsl
    export SPARK_LOCAL_IP="$HOST" SPARK_MASTER_HOST="$HOST"
    export PYSPARK_PYTHON="$PYTHON"
    mkdir -p "$SPARK_LOG_DIR" "$SPARK_PID_DIR" "$SPARK_WORKER_DIR" "$SPARK_LOCAL_DIRS" "$SPARK_CONF_DIR"
    # an empty spark-env.sh: the pyspark package has none, and a user's must not leak in
    : > "$SPARK_CONF_DIR/spark-env.sh"
    cat > "$SPARK_CONF_DIR/log4j2.properties" <<'EOF'
rootLogger.level = warn
rootLogger.appenderRef.stdout.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{HH:mm:ss} %p %c{1}: %m%n%ex
logger.master.name = org.apache.spark.deploy.master.Master
logger.master.level = info
logger.worker.name = org.apache.spark.deploy.worker.Worker
logger.worker.level = info
logger.connect.name = org.apache.spark.sql.connect.service.SparkConnectServer
logger.connect.level = info
EOF
}

answers() {   # host port: something accepts connections there
    "$PYTHON" - "$1" "$2" <<'EOF'
import socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=1).close()
except OSError:
    sys.exit(1)
EOF
}

daemon() {    # start|stop CLASS INSTANCE ARGS...
    "$SPARK_HOME/sbin/spark-daemon.sh" "$@" >/dev/null
}

running() {   # CLASS INSTANCE: its pid file names a live process
    local pid_file="$SPARK_PID_DIR/spark-segdsl-$1-$2.pid"
    [ -f "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null
}

wait_for() {  # what, test command...
    local what="$1"; shift
    local waited=0
    until "$@"; do
        if [ "$waited" -ge "$TIMEOUT" ]; then
            say "$what did not answer within ${TIMEOUT}s; logs in $SPARK_LOG_DIR:"
            tail -n 20 "$SPARK_LOG_DIR"/*.out >&2 || true
            exit 1
        fi
        sleep 1
        waited=$((waited + 1))
    done
}

workers_registered() {
    [ "$(cat "$SPARK_LOG_DIR"/spark-segdsl-"$WORKER_CLASS"-*.out 2>/dev/null \
         | grep -c 'Successfully registered with master')" -ge 2 ]
}

up() {
    setup_env
    if ! running "$MASTER_CLASS" 1; then
        if answers "$HOST" "$MASTER_PORT"; then
            say "port $MASTER_PORT is taken by something not started here"; exit 1
        fi
        rm -f "$SPARK_LOG_DIR"/spark-segdsl-"$WORKER_CLASS"-*.out
        daemon start "$MASTER_CLASS" 1 --host "$HOST" --port "$MASTER_PORT" --webui-port 0
    fi
    wait_for "the master ($MASTER_URL)" answers "$HOST" "$MASTER_PORT"
    for i in 1 2; do
        if ! running "$WORKER_CLASS" "$i"; then
            daemon start "$WORKER_CLASS" "$i" --host "$HOST" --webui-port 0 \
                --cores "$WORKER_CORES" --memory "$WORKER_MEMORY" --work-dir "$SPARK_WORKER_DIR/$i" "$MASTER_URL"
        fi
    done
    wait_for "two workers" workers_registered
    if ! running "$CONNECT_CLASS" 1; then
        if answers "$HOST" "$CONNECT_PORT"; then
            say "port $CONNECT_PORT is taken by something not started here"; exit 1
        fi
        daemon submit "$CONNECT_CLASS" 1 --name "segdsl Spark Connect" --master "$MASTER_URL" \
            --conf "spark.connect.grpc.binding.address=$HOST" \
            --conf "spark.connect.grpc.binding.port=$CONNECT_PORT" \
            --conf "spark.driver.host=$HOST" --conf "spark.driver.bindAddress=$HOST" \
            --conf "spark.driver.memory=1g" --conf "spark.driver.maxResultSize=$CONNECT_MAX_RESULT" \
            --conf "spark.cores.max=2" --conf "spark.executor.cores=1" \
            --conf "spark.executor.memory=$EXECUTOR_MEMORY" \
            --conf "spark.pyspark.python=$PYTHON" --conf "spark.ui.enabled=false"
    fi
    wait_for "Spark Connect ($CONNECT_URL)" answers "$HOST" "$CONNECT_PORT"
    say "up: master $MASTER_URL, two workers, Spark Connect $CONNECT_URL; logs in $SPARK_LOG_DIR"
}

down() {
    setup_env
    daemon stop "$CONNECT_CLASS" 1 || true
    for i in 2 1; do
        daemon stop "$WORKER_CLASS" "$i" || true
    done
    daemon stop "$MASTER_CLASS" 1 || true
    say "down"
}

status() {
    setup_env
    local failed=0
    for part in "master $HOST $MASTER_PORT" "connect $HOST $CONNECT_PORT"; do
        set -- $part
        if answers "$2" "$3"; then echo "$1: answers on $2:$3"; else echo "$1: not answering"; failed=1; fi
    done
    for i in 1 2; do
        if running "$WORKER_CLASS" "$i"; then echo "worker $i: running"; else echo "worker $i: not running"; failed=1; fi
    done
    return "$failed"
}

env_lines() {
    echo "export SEGDSL_TEST_SPARK_MASTER=$MASTER_URL"
    echo "export SEGDSL_TEST_SPARK_CONNECT=$CONNECT_URL"
    echo "export PYSPARK_PYTHON=$PYTHON"
}

case "${1:-up}" in
    up) up ;;
    down) down ;;
    status) status ;;
    env) env_lines ;;
    *) say "usage: bash .ci/spark.sh [up|down|status|env]"; exit 2 ;;
esac
