"""deploy/: what can be checked without a container engine.

compose.yaml and the Kubernetes manifests are parsed with a YAML library and checked against
each other, nginx.conf and the server's own routes (the probes must name routes that exist and
need no token); the Dockerfile's stages and user are checked; and its toolchain step is replayed:
the installed toolchain folder, copied as the build stage copies it, is all ``isoplay run``
needs (ISOPLAY_TOOLCHAIN_DIR, with an empty user cache).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from runtime import toolchain
from runtime.server.api import PUBLIC_PATHS, api_routes

REPO = Path(__file__).resolve().parents[1]
DEPLOY = REPO / "deploy"


def _routes() -> set[str]:
    return {route.path for route in api_routes(None)}  # type: ignore[arg-type]


def _docker_instructions() -> list[tuple[str, str]]:
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    joined = re.sub(r"\\\n", " ", text)
    out = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def test_dockerfile_is_multi_stage_non_root_with_the_toolchain_baked_in() -> None:
    steps = _docker_instructions()
    froms = [rest for word, rest in steps if word == "FROM"]
    assert len(froms) >= 2 and " AS " in froms[0].upper()
    final = steps[max(i for i, (w, _) in enumerate(steps) if w == "FROM"):]
    users = [rest for word, rest in final if word == "USER"]
    assert users and users[-1] not in ("root", "0")
    assert any(w == "RUN" and "useradd" in r and users[-1] in r for w, r in final)
    env = " ".join(rest for word, rest in final if word == "ENV")
    assert "ISOPLAY_TOOLCHAIN_DIR=/opt/toolchain" in env
    assert any(w == "COPY" and "/opt/toolchain" in r and "--from=" in r for w, r in final)
    build = steps[:max(i for i, (w, _) in enumerate(steps) if w == "FROM")]
    assert any(w == "RUN" and "toolchain.ensure" in r for w, r in build)
    copied = {r.split()[0] for w, r in build if w == "COPY"}
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    packages = re.search(r'include = \[([^\]]*)\]', pyproject)
    assert packages is not None
    for package in re.findall(r'"(\w+)\*"', packages.group(1)):
        assert package in copied, f"the Dockerfile does not copy the {package} package"
        assert (REPO / package).is_dir()
    health = [r for w, r in final if w == "HEALTHCHECK"]
    assert health, "no HEALTHCHECK"
    path = re.search(r"http://127\.0\.0\.1:\d+(/[\w/]+)", health[0])
    assert path is not None and path.group(1) in _routes() and path.group(1) in PUBLIC_PATHS


def test_the_baked_toolchain_folder_is_all_a_run_needs(tmp_path: Path, make_project: Any) -> None:
    installed = toolchain.ensure().root
    assert installed is not None
    baked = tmp_path / "opt-toolchain"
    shutil.copytree(installed, baked, symlinks=True)  # as the build stage's `cp -a ... /opt/toolchain/current`
    root = make_project({"src/index.ts": 'export default { fetch() { return new Response("baked " + 6 * 7); } };'})
    env = {k: v for k, v in os.environ.items() if k not in ("ISOPLAY_TOOLCHAIN_DIR", "ESBUILD_BINARY_PATH")}
    env.update(ISOPLAY_TOOLCHAIN_DIR=str(baked), XDG_CACHE_HOME=str(tmp_path / "empty-cache"))
    proc = subprocess.run([sys.executable, "-m", "app", "run", str(root)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "baked 42" in proc.stdout
    assert not (tmp_path / "empty-cache" / "isoplay" / "toolchain").exists()  # nothing was installed beside it


def _compose() -> dict[str, Any]:
    data = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_compose_has_postgres_three_nodes_a_migration_and_a_load_balancer() -> None:
    services = _compose()["services"]
    nodes = {name: s for name, s in services.items() if "ISOPLAY_NODE" in (s.get("environment") or {})}
    assert len(nodes) >= 3
    assert len({s["environment"]["ISOPLAY_NODE"] for s in nodes.values()}) == len(nodes)
    pg = next(name for name, s in services.items() if str(s.get("image", "")).startswith("postgres"))
    for name, node in nodes.items():
        store = node["environment"]["ISOPLAY_STORE"]
        assert store.startswith("postgresql://") and f"@{pg}:5432/" in store, name
        assert node["build"]["dockerfile"] == "deploy/Dockerfile"
        assert node["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        check = " ".join(node["healthcheck"]["test"])
        assert "/api/health/ready" in check
    migrate = services["migrate"]
    assert "--migrate" in migrate["command"] and migrate["depends_on"][pg]["condition"] == "service_healthy"
    lb = next(s for s in services.values() if str(s.get("image", "")).startswith(("nginx", "haproxy", "caddy")))
    assert set(nodes) <= set(lb["depends_on"])
    mounted = [v.split(":")[0] for v in lb["volumes"]]
    conf = (DEPLOY / mounted[0].removeprefix("./")).read_text(encoding="utf-8")
    upstreams = set(re.findall(r"^\s*server\s+([\w-]+):(\d+)", conf, re.MULTILINE))
    assert upstreams == {(name, "8788") for name in nodes}
    assert "proxy_next_upstream" in conf and "proxy_buffering off" in conf


def _manifests() -> list[dict[str, Any]]:
    docs = []
    for path in sorted((DEPLOY / "k8s").glob("*.yaml")):
        docs.extend(d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d)
    return docs


def test_kubernetes_manifests_fit_together_and_probe_live_and_ready() -> None:
    docs = _manifests()
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for doc in docs:
        assert {"apiVersion", "kind", "metadata"} <= set(doc), doc.get("kind")
        by_kind.setdefault(doc["kind"], []).append(doc)
    [secret] = by_kind["Secret"]
    assert str(secret["stringData"]["ISOPLAY_STORE"]).startswith("postgresql://")
    [deployment] = by_kind["Deployment"]
    spec = deployment["spec"]
    labels = spec["template"]["metadata"]["labels"]
    assert spec["selector"]["matchLabels"].items() <= labels.items()
    assert spec["template"]["spec"]["securityContext"]["runAsNonRoot"] is True
    [container] = spec["template"]["spec"]["containers"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert {"secretRef": {"name": secret["metadata"]["name"]}} in container["envFrom"]
    routes = _routes()
    ready, live = container["readinessProbe"]["httpGet"], container["livenessProbe"]["httpGet"]
    assert ready["path"] == "/api/health/ready" and live["path"] == "/api/health/live"
    for probe in (ready, live):
        assert probe["path"] in routes and probe["path"] in PUBLIC_PATHS  # a probe carries no token
        assert probe["port"] in ports
    assert str(ports[ready["port"]]) in container["args"]
    [service] = by_kind["Service"]
    assert service["spec"]["selector"].items() <= labels.items()
    assert all(p["targetPort"] in ports for p in service["spec"]["ports"])
    [hpa] = by_kind["HorizontalPodAutoscaler"]
    target = hpa["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", deployment["metadata"]["name"])
    assert any(m["resource"]["name"] == "cpu" for m in hpa["spec"]["metrics"])
    assert hpa["spec"]["minReplicas"] >= 2
    [job] = by_kind["Job"]
    [migrate] = job["spec"]["template"]["spec"]["containers"]
    assert "--migrate" in migrate["args"] and migrate["envFrom"] == container["envFrom"]
