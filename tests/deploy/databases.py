"""Scratch PostgreSQL databases: created on the server of ``SKILLS_VC_TEST_DATABASE_URL`` under a
unique name, dropped afterwards, so these tests never touch the database other tests wipe."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo
from sqlalchemy.engine import URL, make_url

__all__ = ["ScratchDatabases"]

_PREFIX = "skills_vc_deploy_"


class ScratchDatabases:
    """Databases created on one server, every one of them dropped by :meth:`drop_all`."""

    def __init__(self, server_url: str) -> None:
        self._server = make_url(server_url)
        self._names: list[str] = []

    def _connect(self) -> psycopg.Connection[tuple[Any, ...]]:
        # Any database of the server will do to create and drop others: the one of the URL exists.
        return psycopg.connect(make_conninfo(**self._libpq(self._server)), autocommit=True)

    @staticmethod
    def _libpq(url: URL) -> dict[str, str]:
        params = {
            "host": url.host or "",
            "port": str(url.port or 5432),
            "user": url.username or "",
            "dbname": url.database or "",
        }
        if url.password:
            params["password"] = str(url.password)
        return {k: v for k, v in params.items() if v}

    def create(self) -> URL:
        """A new, empty database; its SQLAlchemy URL (the server URL's driver and credentials)."""
        name = _PREFIX + secrets.token_hex(6)
        with self._connect() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        self._names.append(name)
        return self._server.set(database=name)

    def drop(self, url: URL) -> None:
        assert url.database in self._names, f"{url.database} is not a scratch database"
        with self._connect() as conn:
            # FORCE ends the connections a killed replica may have left behind.
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(url.database))
            )
        self._names.remove(url.database)

    def drop_all(self) -> None:
        for name in list(self._names):
            self.drop(self._server.set(database=name))

    def run_client(self, program: str, url: URL, *args: str) -> subprocess.CompletedProcess[str]:
        """Run a PostgreSQL client program (pg_dump, pg_restore) on the database of ``url``.

        The connection goes in libpq's environment variables: a password never shows in the
        process list.
        """
        params = self._libpq(url)
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "PGHOST": params.get("host", ""),
            "PGPORT": params.get("port", ""),
            "PGUSER": params.get("user", ""),
            "PGDATABASE": params["dbname"],
        }
        if "password" in params:
            env["PGPASSWORD"] = params["password"]
        found = shutil.which(program)
        if found is None:
            raise FileNotFoundError(f"{program} is not installed (Debian: postgresql-client)")
        return subprocess.run(
            [found, *args],
            env={k: v for k, v in env.items() if v},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
