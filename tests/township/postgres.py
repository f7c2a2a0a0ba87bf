"""A throwaway PostgreSQL server (Debian's ``postgresql`` package) for the storage contract
suite: ``initdb`` and ``pg_ctl`` on a temporary directory and a free port, run as the
``postgres`` user when the tests run as root."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import psycopg2

INSTALL = "apt-get install -y postgresql"


@dataclass
class PostgresServer:
    directory: Path
    port: int
    run_as: list[str]
    binaries: Path

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A fresh empty database; its postgresql:// URL."""
        name = "t" + uuid.uuid4().hex[:16]
        connection = psycopg2.connect(self.url("postgres"))
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE {name}")
        connection.close()
        return self.url(name)

    def emptied(self, url: str) -> str:
        """``url`` with every table of the township emptied (a fresh start, faster than
        a new database)."""
        connection = psycopg2.connect(url)
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                           "AND tablename <> 'schema_version'")
            tables = [row[0] for row in cursor.fetchall()]
            if tables:
                names = ", ".join(f'"{table}"' for table in tables)
                cursor.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
        connection.close()
        return url

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.directory / "data"), "-m", "immediate", "stop")
        shutil.rmtree(self.directory, ignore_errors=True)

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run([*self.run_as, str(self.binaries / tool), *args], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def binaries() -> Path:
    """The directory holding initdb and pg_ctl. Raises RuntimeError naming the install."""
    found = shutil.which("initdb")
    candidates = ([os.path.dirname(os.path.realpath(found))] if found else []) + sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for directory in candidates:
        if os.path.exists(os.path.join(directory, "pg_ctl")):
            return Path(directory)
    raise RuntimeError(f"PostgreSQL's initdb and pg_ctl are missing: run `{INSTALL}`")


def start_postgres() -> PostgresServer:
    """Start a server on 127.0.0.1 with trust authentication (it listens on loopback only)."""
    directory = Path(tempfile.mkdtemp(prefix="township-pg-"))
    run_as: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
        run_as = ["runuser", "-u", "postgres", "--"]
    server = PostgresServer(directory, _free_port(), run_as, binaries())
    server._run("initdb", "-D", str(directory / "data"), "-A", "trust", "-U", "postgres",
                "--no-sync", "-E", "UTF8")
    server._run("pg_ctl", "-D", str(directory / "data"), "-w", "-l",
                str(directory / "log"), "-o",
                f"-p {server.port} -k {directory} -c listen_addresses=127.0.0.1 -c fsync=off",
                "start")
    return server


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
