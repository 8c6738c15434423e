"""A PostgreSQL server of the test's own (`initdb`, `pg_ctl`), to restart in the middle of a test.

The machine's shared server (127.0.0.1:5432) is never stopped or restarted: other tests use
it. This one has its own data directory and socket directory in a fresh temporary folder, a
port the OS had free, trust authentication, and no fsync (a test's data need not survive a
power cut). PostgreSQL refuses to run as root; when the test runs as root (CI does), the server
runs as the `postgres` user, which owns the folder.

    with PrivatePostgres.started() as server:
        url = server.url("loanwatch")     # postgresql+psycopg://postgres@127.0.0.1:PORT/loanwatch
        server.restart()                  # pg_ctl restart -m fast: every connection is cut

Outside CI a machine without `initdb` skips the test and says why; under CI=true it fails.
"""

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.support.databases import in_ci

BINARIES = (Path("/usr/local/bin"), Path("/usr/lib/postgresql/15/bin"))


def _binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    return next((str(d / name) for d in BINARIES if (d / name).exists()), None)


class PrivatePostgres:
    """One server: `initdb` once, then start, restart, stop."""

    def __init__(self, folder: Path, port: int) -> None:
        initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
        if initdb is None or pg_ctl is None:
            reason = "initdb/pg_ctl not found: cannot start a private PostgreSQL server"
            if in_ci():
                pytest.fail(f"{reason} (CI=true: this test must run)", pytrace=False)
            pytest.skip(reason)
        self.initdb, self.pg_ctl = initdb, pg_ctl
        self.folder = folder
        self.data = folder / "data"
        self.port = port
        self.restarts = 0
        self._user = pwd.getpwnam("postgres") if os.geteuid() == 0 else None

    @classmethod
    @contextmanager
    def started(cls, port: int) -> Iterator["PrivatePostgres"]:
        # A short path of its own: a Unix socket's path may not be longer than ~100 bytes, and
        # pytest's tmp_path is private to root (the `postgres` user could not enter it).
        folder = Path(tempfile.mkdtemp(prefix="lw-pg-"))
        server = cls(folder, port)
        try:
            server._init()
            server._ctl("start", "-o", server._options())
            yield server
        finally:
            server._ctl("stop", "-m", "immediate", check=False)
            shutil.rmtree(folder, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def restart(self) -> None:
        """`pg_ctl restart -m fast`: sessions are ended, the server stops and starts again."""
        self._ctl("restart", "-m", "fast", "-o", self._options())
        self.restarts += 1

    def log(self) -> str:
        path = self.folder / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def _options(self) -> str:
        return (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )

    def _init(self) -> None:
        if self._user is not None:
            os.chown(self.folder, self._user.pw_uid, self._user.pw_gid)
        self._run(
            [self.initdb, "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync"],
            check=True,
        )

    def _ctl(self, action: str, *options: str, check: bool = True) -> None:
        log = str(self.folder / "server.log")
        self._run(
            [self.pg_ctl, action, "-D", str(self.data), "-l", log, "-w", "-t", "60", *options],
            check=check,
        )

    def _run(self, command: list[str], *, check: bool) -> None:
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=120,
            user=self._user.pw_uid if self._user else None,
            group=self._user.pw_gid if self._user else None,
            cwd=self.folder,
        )
        if check and done.returncode != 0:
            raise AssertionError(f"{command[0]} {command[1]} failed: {done.stderr}{self.log()}")
