"""A throwaway PostgreSQL server for the tests (initdb + pg_ctl in a temporary folder).

The server listens only on a unix socket in its own temporary folder (port
number picked free, which names the socket). PostgreSQL refuses to run as
root, so as root initdb/pg_ctl run as ``nobody`` (``runuser``) with the folder
handed to that user.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg

RUN_AS = "nobody"


def find_bin_dir() -> Path | None:
    """The folder of initdb/pg_ctl: on PATH, else the newest /usr/lib/postgresql/*/bin."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).parent
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: (
            int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0
        ),
    )
    return Path(candidates[-1]).parent if candidates else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PgServer:
    """A running server: its folder, socket folder, port and superuser."""

    root: Path
    bin_dir: Path
    port: int
    user: str = "postgres"

    @property
    def socket_dir(self) -> Path:
        return self.root / "sock"

    def url(self, database: str) -> str:
        return f"postgresql://{self.user}@/{database}?host={self.socket_dir}&port={self.port}"

    def _cmd(self, *args: str) -> list[str]:
        cmd = [str(self.bin_dir / args[0]), *args[1:]]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", RUN_AS, "--", *cmd]
        return cmd

    def run(self, *args: str) -> None:
        p = subprocess.run(
            self._cmd(*args), capture_output=True, text=True, check=False, timeout=120
        )
        if p.returncode != 0:
            log = (self.root / "log").read_text() if (self.root / "log").exists() else ""
            raise RuntimeError(f"{' '.join(args[:2])} failed: {p.stdout}\n{p.stderr}\n{log}")

    def execute(self, sql: str) -> None:
        """Run one statement in the ``postgres`` database (autocommit)."""
        with psycopg.connect(
            host=str(self.socket_dir),
            port=self.port,
            user=self.user,
            dbname="postgres",
            autocommit=True,
        ) as conn:
            conn.execute(sql)  # type: ignore[arg-type]

    def stop(self) -> None:
        try:
            self.run("pg_ctl", "-D", str(self.root / "data"), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def start_server(bin_dir: Path) -> PgServer:
    """initdb into a new temporary folder and start the server there."""
    root = Path(tempfile.mkdtemp(prefix="crossings-pg-"))
    (root / "sock").mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, RUN_AS)
        shutil.chown(root / "sock", RUN_AS)
    server = PgServer(root=root, bin_dir=bin_dir, port=_free_port())
    try:
        server.run(
            "initdb",
            "-D",
            str(root / "data"),
            "-U",
            server.user,
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-locale",
            "--no-sync",
        )
        opts = (
            f"-k {server.socket_dir} -p {server.port} -h '' -F "
            f"-c max_connections=40 -c shared_buffers=32MB"
        )
        server.run(
            "pg_ctl",
            "-D",
            str(root / "data"),
            "-o",
            opts,
            "-l",
            str(root / "log"),
            "-w",
            "-t",
            "60",
            "start",
        )
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise
    deadline = time.monotonic() + 30
    while not (server.socket_dir / f".s.PGSQL.{server.port}").exists():
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError("PostgreSQL did not create its socket")
        time.sleep(0.1)
    return server
