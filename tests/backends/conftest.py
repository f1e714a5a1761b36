"""A throwaway PostgreSQL server for the tests that run the SQL backend's
postgres output for real.

The server comes from Debian's packages (.ci/postgres.sh installs them), is
initialised in a fresh temp dir, listens only on a Unix socket inside that
dir (no TCP port to clash with anything) and trusts local connections. It is
stopped and its dir removed at the end of the session. PostgreSQL refuses to
run as root, so as root the server runs as the `postgres` system user the
package creates. Tests are skipped, with the reason, only when no server can
be started here.
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PORT = 5432          # names the socket file only: the server opens no TCP port
SUPERUSER = "postgres"


def _bin_dir() -> Path | None:
    """The newest server install: Debian keeps initdb/pg_ctl off PATH."""
    def version(d: str) -> tuple:
        v = Path(d).parent.name
        return tuple(int(p) for p in v.split(".") if p.isdigit())
    found = [d for d in glob.glob("/usr/lib/postgresql/*/bin")
             if os.access(f"{d}/initdb", os.X_OK) and os.access(f"{d}/pg_ctl", os.X_OK)]
    if found:
        return Path(max(found, key=version))
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if initdb and pg_ctl and Path(initdb).parent == Path(pg_ctl).parent:
        return Path(initdb).parent
    return None


@dataclass(frozen=True)
class Server:
    bin: Path
    base: Path                # temp dir: data/, the socket, server.log
    as_user: str | None       # run the server binaries as this user (we are root)

    @property
    def data(self) -> Path:
        return self.base / "data"

    @property
    def log(self) -> Path:
        return self.base / "server.log"

    def run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        cmd = [str(self.bin / args[0]), *args[1:]]
        if self.as_user:
            cmd = ["runuser", "-u", self.as_user, "--", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=True,
                              cwd=self.base, env={**os.environ, "LC_ALL": "C.UTF-8"})

    def start(self) -> None:
        self.run("initdb", "-D", str(self.data), "-U", SUPERUSER, "--auth=trust", "--encoding=UTF8",
                 "--locale=C.UTF-8", "--no-sync")
        options = f"-k {self.base} -p {PORT} -F -c listen_addresses='' -c max_connections=20"
        self.run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "60",
                 "start", timeout=90)

    def stop_command(self) -> list[str]:
        cmd = [str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"]
        return ["runuser", "-u", self.as_user, "--", *cmd] if self.as_user else cmd

    def stop(self) -> None:
        try:
            subprocess.run(self.stop_command(), capture_output=True, timeout=60, cwd=self.base)
        except (subprocess.SubprocessError, OSError):
            pass

    def watchdog(self) -> subprocess.Popen:
        """pg_ctl leaves the server running on its own: should this test process die without its
        teardown (a timeout's SIGTERM, a crash), this stops the server and removes its dir."""
        script = 'p=$1; d=$2; shift 2; while kill -0 "$p" 2>/dev/null; do sleep 1; done; "$@"; rm -rf "$d"'
        return subprocess.Popen(["sh", "-c", script, "watchdog", str(os.getpid()), str(self.base),
                                 *self.stop_command()], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)

    def connect(self, dbname: str = "postgres", **kwargs):
        import psycopg
        return psycopg.connect(host=str(self.base), port=PORT, user=SUPERUSER, dbname=dbname, **kwargs)

    def log_tail(self) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-15:])
        except OSError:
            return ""


def _why(exc: BaseException, server: Server | None) -> str:
    if isinstance(exc, subprocess.CalledProcessError):
        detail = (exc.stderr or exc.stdout or "").strip()
        text = f"`{' '.join(exc.cmd)}` exited {exc.returncode}: {detail}"
    else:
        text = f"{type(exc).__name__}: {exc}"
    tail = server.log_tail() if server else ""
    return text + (f"\nserver log:\n{tail}" if tail else "")


@pytest.fixture(scope="session")
def postgres() -> Iterator[Callable[..., object]]:
    """A connection factory for a fresh local server: `postgres(dbname="postgres", **psycopg_kwargs)`."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("PostgreSQL tests need the psycopg client: pip install 'psycopg[binary]'")
    bin_dir = _bin_dir()
    if bin_dir is None:
        pytest.skip("PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin "
                    "(bash .ci/postgres.sh installs them)")
    as_user = None
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no `postgres` system user to run the server as")
        as_user = "postgres"
    base = Path(tempfile.mkdtemp(prefix="segdsl-pg-"))
    if as_user:
        os.chown(base, owner.pw_uid, owner.pw_gid)
    server = Server(bin_dir, base, as_user)
    guard = server.watchdog()

    def clean_up():
        server.stop()
        shutil.rmtree(base, ignore_errors=True)
        guard.kill()
        guard.wait()

    try:
        server.start()
    except (subprocess.SubprocessError, OSError) as exc:
        why = _why(exc, server)
        clean_up()
        pytest.skip(f"could not start a PostgreSQL server from {bin_dir}: {why}")
    try:
        yield server.connect
    finally:
        clean_up()
