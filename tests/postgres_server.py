"""A real PostgreSQL server for the tests of the shared state store, started once per
session in a temporary folder and stopped at the end (no mocks).

Where it comes from, first found first used:

- ``OPSYNC_TEST_POSTGRES_URL``: a server someone runs already (each test gets a schema of
  its own in it, dropped afterwards);
- the server programs on this machine (``pg_ctl`` on PATH, or Debian's
  ``/usr/lib/postgresql/<version>/bin``), run as a throwaway cluster that listens on a Unix
  socket in its folder only (no TCP port, so parallel sessions never collide). As root,
  which PostgreSQL refuses to run as, the cluster runs as the ``postgres`` user that
  Debian's package creates.

``.ci/run`` installs Debian's ``postgresql`` package when the programs are missing and sets
``OPSYNC_REQUIRE_POSTGRES=1``, so that CI fails, never skips, when no server can be had.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

URL_ENV = "OPSYNC_TEST_POSTGRES_URL"
REQUIRE_ENV = "OPSYNC_REQUIRE_POSTGRES"


class Unavailable(Exception):
    """No server could be found or started; the message says why."""


def _bin_dir() -> Path | None:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
        key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0,
    )
    return versions[-1].parent if versions else None


class Server:
    """A server and a database in it; :meth:`schema` gives each test a fresh namespace."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def url(self, schema: str | None = None) -> str:
        """The database's URL, with ``schema`` as the search path when given: opsync's
        tables are then made in, and read from, that schema only."""
        if schema is None:
            return self.base_url
        joiner = "&" if "?" in self.base_url else "?"
        return f"{self.base_url}{joiner}options={quote(f'-csearch_path={schema}')}"

    @contextmanager
    def schema(self) -> Iterator[str]:
        """A new empty schema's URL, dropped with everything in it afterwards."""
        import psycopg

        name = f"t_{uuid.uuid4().hex[:16]}"
        with psycopg.connect(self.base_url, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {name}")
        try:
            yield self.url(name)
        finally:
            with psycopg.connect(self.base_url, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA {name} CASCADE")


@contextmanager
def server() -> Iterator[Server]:
    """The session's server; raises :class:`Unavailable` when there is none to be had."""
    try:
        import psycopg  # noqa: F401  (the postgres extra, installed with dev)
    except ImportError:
        raise Unavailable('psycopg is not installed (pip install -e ".[dev]")') from None
    given = os.environ.get(URL_ENV)
    if given:
        yield Server(given)
        return
    bin_dir = _bin_dir()
    if bin_dir is None:
        raise Unavailable(
            "no PostgreSQL server programs (pg_ctl) on this machine: install Debian's "
            f"postgresql package, or set {URL_ENV} to a server's URL"
        )
    with _cluster(bin_dir) as url:
        yield Server(url)


def _as_owner() -> tuple[list[str], int | None, int | None]:
    """The command prefix, uid and gid to run the cluster with (PostgreSQL refuses root)."""
    if os.geteuid() != 0:
        return [], None, None
    try:
        owner = pwd.getpwnam("postgres")
    except KeyError:
        raise Unavailable("running as root and there is no postgres user to run as") from None
    runuser = shutil.which("runuser")
    if runuser is None:
        raise Unavailable("running as root and runuser is missing to run as postgres")
    return [runuser, "-u", "postgres", "--"], owner.pw_uid, owner.pw_gid


@contextmanager
def _cluster(bin_dir: Path) -> Iterator[str]:
    prefix, uid, gid = _as_owner()
    root = Path(tempfile.mkdtemp(prefix="opsync-pg-"))
    if uid is not None and gid is not None:
        os.chown(root, uid, gid)
    data, log = root / "data", root / "server.log"

    def run(*args: str) -> None:
        done = subprocess.run([*prefix, *args], capture_output=True, text=True, check=False)
        if done.returncode != 0:
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise Unavailable(f"{Path(args[0]).name} failed: {done.stderr.strip()} {tail}")

    try:
        run(str(bin_dir / "initdb"), "-D", str(data), "-U", "opsync", "--auth=trust",
            "-E", "UTF8", "--no-sync", "--no-instructions")  # fmt: skip
        options = f"-k {root} -c listen_addresses='' -F -c max_connections=200"
        run(str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-o", options, "start")
        try:
            import psycopg

            admin = f"postgresql://opsync@/postgres?host={quote(str(root))}"
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute("CREATE DATABASE opsync")
            yield f"postgresql://opsync@/opsync?host={quote(str(root))}"
        finally:
            run(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
    finally:
        shutil.rmtree(root, ignore_errors=True)
