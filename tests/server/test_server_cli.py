"""``isoplay publish/versions/rollback/login/serve`` as real subprocesses against a real server."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import httpx

from server_harness import RealServer

REPO = Path(__file__).resolve().parents[2]
FAIL_KEYRING = "keyring.backends.fail.Keyring"
FILE_KEYRING = '''
import json, os
from keyring.backend import KeyringBackend

class FileKeyring(KeyringBackend):
    priority = 1

    def _load(self):
        path = os.environ["TEST_KEYRING_FILE"]
        return json.load(open(path)) if os.path.exists(path) else {}

    def get_password(self, service, username):
        return self._load().get(f"{service}|{username}")

    def set_password(self, service, username, password):
        data = self._load()
        data[f"{service}|{username}"] = password
        json.dump(data, open(os.environ["TEST_KEYRING_FILE"], "w"))

    def delete_password(self, service, username):
        pass
'''


def isoplay(*args: str, token: str | None = None, keyring: str = FAIL_KEYRING,
            extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("ISOPLAY_TOKEN", "ISOPLAY_SERVER")}
    env["PYTHON_KEYRING_BACKEND"] = keyring
    if token:
        env["ISOPLAY_TOKEN"] = token
    env.update(extra_env or {})
    return subprocess.run([sys.executable, "-m", "app", *args], capture_output=True, text=True, cwd=REPO,
                          env=env, timeout=60)


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, (result.stdout, result.stderr)
    errors = [line for line in result.stderr.strip().splitlines() if line.startswith("isoplay: ")]
    assert len(errors) == 1 and result.stderr.rstrip().endswith(errors[0]), result.stderr
    assert "Traceback" not in result.stderr
    return errors[0]


def test_publish_versions_rollback_from_the_command_line(real_server: Callable[..., RealServer],
                                                         project_dir: Callable[..., Path]) -> None:
    server = real_server()
    token = server.create_token()
    project = project_dir("hello", "1.0.0")
    published = isoplay("publish", str(project), "--server", server.url, "--token", token)
    assert published.returncode == 0, published.stderr
    assert published.stdout.strip() == f"{server.url}/hello/"
    assert "uploaded" in published.stderr and "hello@1.0.0 published, live" in published.stderr
    assert httpx.get(f"{server.url}/hello/", timeout=10).json()["version"] == "1.0.0"

    staged = isoplay("publish", str(project), "--server", server.url, "--version", "1.1.0", "--no-promote",
                     token=token)
    assert staged.returncode == 0 and staged.stdout.strip() == f"{server.url}/hello@1.1.0/", staged.stderr
    dry = isoplay("publish", str(project), "--server", server.url, "--dry-run", token=token)
    assert dry.returncode == 0 and "would change nothing" in dry.stdout, dry.stderr

    (project / "src" / "index.ts").write_text("export default { fetch() { return new Response('changed'); } };\n")
    conflict = one_line_error(isoplay("publish", str(project), "--server", server.url, token=token))
    assert "409 version_exists" in conflict

    listed = isoplay("versions", "hello", "--server", server.url, token=token)
    assert listed.returncode == 0, listed.stderr
    rows = listed.stdout.splitlines()
    assert rows[0] == f"hello: live 1.0.0 at {server.url}/hello/"
    assert rows[1].split()[0] == "1.1.0" and rows[2].split()[:2] == ["*", "1.0.0"] and rows[2].endswith("live")

    rolled = isoplay("rollback", "hello", "1.1.0", "--server", server.url, token=token)
    assert rolled.returncode == 0 and "now 1.1.0 (was 1.0.0)" in rolled.stdout, rolled.stderr
    apps = httpx.get(f"{server.url}/api/apps", headers={"authorization": f"Bearer {token}"}, timeout=10).json()
    assert apps["apps"][0]["live_version"] == "1.1.0"  # (its VERSION var still says 1.0.0: --version kept the toml)
    assert "404 version_not_found" in one_line_error(isoplay("rollback", "hello", "7.0.0", "--server", server.url,
                                                             token=token))


def test_token_problems_are_one_clear_line(real_server: Callable[..., RealServer],
                                           project_dir: Callable[..., Path]) -> None:
    server = real_server()
    project = project_dir("hello", "1.0.0")
    missing = one_line_error(isoplay("publish", str(project), "--server", server.url))
    assert "ISOPLAY_TOKEN" in missing and "keyring" in missing
    forged = one_line_error(isoplay("versions", "hello", "--server", server.url, "--token", "isoplay_nope"))
    assert "401 unauthorized" in forged
    login = isoplay("login", "--server", server.url, "--token", server.create_token())  # no keyring on this machine
    assert login.returncode == 0 and "tokens.json" in login.stderr, login.stderr  # so it went to the 0600 file
    published = isoplay("publish", str(project), "--server", server.url)
    assert published.returncode == 0, published.stderr
    unreachable = one_line_error(isoplay("versions", "hello", "--server", "http://127.0.0.1:9", "--token", "x"))
    assert "cannot reach http://127.0.0.1:9" in unreachable


def test_login_stores_the_token_in_the_keyring(real_server: Callable[..., RealServer], tmp_path: Path,
                                               project_dir: Callable[..., Path]) -> None:
    server = real_server()
    (tmp_path / "filekeyring.py").write_text(FILE_KEYRING)
    env = {"PYTHONPATH": f"{tmp_path}{os.pathsep}{REPO}", "TEST_KEYRING_FILE": str(tmp_path / "keys.json")}
    keyring = "filekeyring.FileKeyring"
    refused = isoplay("login", "--server", server.url, "--token", "isoplay_wrong", keyring=keyring, extra_env=env)
    assert "401 unauthorized" in one_line_error(refused) and not (tmp_path / "keys.json").exists()
    login = isoplay("login", "--server", server.url + "/", "--token", server.create_token(), keyring=keyring,
                    extra_env=env)
    assert login.returncode == 0, login.stderr
    published = isoplay("publish", str(project_dir()), "--server", server.url, keyring=keyring, extra_env=env)
    assert published.returncode == 0 and published.stdout.strip() == f"{server.url}/hello/", published.stderr


def _read_lines(stream: object, into: queue.Queue[str]) -> None:
    for line in stream:  # type: ignore[attr-defined]
        into.put(line)


def test_serve_command_tokens_and_graceful_stop(tmp_path: Path) -> None:
    data = tmp_path / "serve-data"
    created = isoplay("serve", "--data", str(data), "--create-token", "ci")
    assert created.returncode == 0 and created.stdout.strip().startswith("isoplay_"), created.stderr
    token = created.stdout.strip()
    assert "ci" in isoplay("serve", "--data", str(data), "--list-tokens").stdout
    assert "exists" in one_line_error(isoplay("serve", "--data", str(data), "--create-token", "ci"))
    env = {k: v for k, v in os.environ.items() if k != "ISOPLAY_TOKEN"}
    proc = subprocess.Popen([sys.executable, "-m", "app", "serve", "--data", str(data), "--port", "0"], cwd=REPO,
                            env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_read_lines, args=(proc.stderr, lines), daemon=True).start()
    try:
        banner = lines.get(timeout=30)
        assert banner.startswith("isoplay serve: http://127.0.0.1:"), banner
        url = banner.split()[2].rstrip("/")
        assert httpx.get(f"{url}/api/health", timeout=10).json()["ready"] is True
        assert httpx.get(f"{url}/api/apps", headers={"authorization": f"Bearer {token}"}, timeout=10).json() == {
            "apps": []}
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=20)
        assert proc.stderr is not None
        proc.stderr.close()
    assert code == 0
    revoked = isoplay("serve", "--data", str(data), "--revoke-token", "ci")
    assert revoked.returncode == 0, revoked.stderr
    assert "no token named 'ci'" in one_line_error(isoplay("serve", "--data", str(data), "--revoke-token", "ci"))
