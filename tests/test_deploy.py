"""What operators rely on, checked without Docker or a cluster (neither exists in CI): the compose file, the
Dockerfile and the Kubernetes manifests parse and name commands, paths and variables that the code really
has; the probes they point at answer as they expect; the OpenAPI document describes every endpoint."""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT, Api
from fastapi import APIRouter
from fastapi.routing import APIRoute
from redis import Redis
from rq import Queue

import service
from service.app import create_app
from service.cli import build_parser
from workers.settings import Settings
from workers.store import Store

DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"


# -- what the code offers -------------------------------------------------------------------------------
def setting_names() -> set[str]:
    """Environment variables that workers/settings.py reads."""
    prefix = Settings.model_config.get("env_prefix", "")
    names = set()
    for name, info in Settings.model_fields.items():
        alias = info.validation_alias
        names.add(alias if isinstance(alias, str) else f"{prefix}{name}".upper())
    return names


def app_paths() -> set[str]:
    """The paths the app answers, as FastAPI itself lists them (its routers are included lazily, so
    app.routes does not show them)."""
    return set(create_app(Settings()).openapi()["paths"])


def endpoints() -> set[tuple[str, str]]:
    """(method, path) of every route declared on an APIRouter anywhere in the service package, found
    independently of the OpenAPI document that should list them."""
    found = set()
    for info in pkgutil.walk_packages(service.__path__, "service."):
        router = getattr(importlib.import_module(info.name), "router", None)
        if isinstance(router, APIRouter):
            for route in router.routes:
                if isinstance(route, APIRoute) and route.include_in_schema:
                    found |= {(method, route.path) for method in route.methods}
    return found


def cli_accepts(args: list[str]) -> str:
    """The subcommand our CLI parses these arguments as (argparse exits on anything it does not accept)."""
    return str(build_parser().parse_args(args).command)


def http_paths(command: list[str]) -> list[str]:
    return re.findall(r"https?://[^/'\"\s]+(/[^'\"\s?]*)", " ".join(command))


# -- compose --------------------------------------------------------------------------------------------
def test_compose_services_run_commands_and_settings_that_exist() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert {"redis", "api", "worker", "rq-dashboard"} <= set(services)

    redis = services["redis"]
    assert "--appendonly" in redis["command"] and "yes" in redis["command"]
    assert redis["healthcheck"]["test"][-2:] == ["redis-cli", "ping"]

    ours = {name: s for name, s in services.items() if s.get("build") == ".."}
    assert set(ours) == {"api", "worker"}
    assert (DEPLOY / ".." / "Dockerfile").resolve().is_file()
    assert cli_accepts(ours["api"]["command"]) == "serve"
    assert "--workers" in ours["api"]["command"]
    assert cli_accepts(ours["worker"]["command"]) == "worker"
    for built in ours.values():
        assert set(built["environment"]) <= setting_names()
        assert built["depends_on"]["redis"]["condition"] == "service_healthy"
    assert set(http_paths(ours["api"]["healthcheck"]["test"])) == {"/readyz"} <= app_paths()

    dashboard = services["rq-dashboard"]
    assert dashboard["profiles"] == ["ops"]
    assert "127.0.0.1:" in dashboard["ports"][0], "the dashboard has no login: loopback only"
    inline = dashboard["build"]["dockerfile_inline"]
    assert re.search(r"rq-dashboard==\d", inline)
    rq_pin = next(d for d in pyproject()["project"]["dependencies"] if d.startswith("rq"))
    assert rq_pin.replace("rq", "", 1) in inline.replace('"rq', '"', 1), "dashboard and workers on one RQ"
    assert "redis://redis:6379" in " ".join(dashboard["command"])


def pyproject() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


# -- Dockerfile -----------------------------------------------------------------------------------------
def test_dockerfile_builds_one_slim_non_root_image_of_our_cli() -> None:
    lines = [
        line.strip() for line in (ROOT / "Dockerfile").read_text().replace("\\\n", " ").splitlines() if line
    ]
    instructions = [line for line in lines if not line.startswith("#")]
    stages = [line for line in instructions if line.startswith("FROM ")]
    assert len(stages) >= 2 and all("-slim" in s for s in stages), "multi-stage, slim"
    final = instructions[instructions.index(stages[-1]) :]
    users = [line.split()[1] for line in final if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")

    entrypoint = json.loads(
        next(line for line in final if line.startswith("ENTRYPOINT "))[len("ENTRYPOINT ") :]
    )
    assert entrypoint == ["samestory"]
    assert pyproject()["project"]["scripts"]["samestory"] == "service.cli:main"
    cmd = next(line for line in final if line.startswith("CMD "))
    assert cli_accepts(json.loads(cmd.removeprefix("CMD "))) == "serve"

    for line in instructions:
        if line.startswith("COPY ") and "--from=" not in line:
            for source in line.split()[1:-1]:
                assert (ROOT / source).exists(), f"COPY of a missing {source}"
    smoke = next(line for line in instructions if "import trafilatura" in line)
    assert "lxml_html_clean" in smoke and "lxml.html.clean" in smoke
    for module in ("trafilatura", "lxml_html_clean", "lxml.html.clean", "workers.pipeline", "service.app"):
        assert module in smoke
        __import__(module)
    assert "static/index.html" in smoke, "the browser's files must be checked as packaged"


# -- Kubernetes -----------------------------------------------------------------------------------------
def load_documents(folder: Path) -> list[dict[str, Any]]:
    """The documents a kustomization lists, from its resources and components."""
    kustomization = yaml.safe_load((folder / "kustomization.yaml").read_text())
    documents: list[dict[str, Any]] = []
    for resource in kustomization.get("resources", []):
        documents += [d for d in yaml.safe_load_all((folder / resource).read_text()) if d]
    return documents


def by_kind(documents: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in documents if d["kind"] == kind}


def test_k8s_manifests_probe_real_paths_and_use_real_settings() -> None:
    documents = load_documents(K8S)
    deployments = by_kind(documents, "Deployment")
    secrets = by_kind(documents, "Secret")
    configmaps = by_kind(documents, "ConfigMap")
    services = by_kind(documents, "Service")
    assert set(deployments) == {"samestory-api", "samestory-worker"}
    settings_env = setting_names()
    routes = app_paths()

    for config in configmaps.values():
        assert set(config["data"]) <= settings_env, "a ConfigMap key that is no setting"
    for deployment in deployments.values():
        pod = deployment["spec"]["template"]
        assert deployment["spec"]["selector"]["matchLabels"].items() <= pod["metadata"]["labels"].items()
        assert pod["spec"]["securityContext"]["runAsNonRoot"] is True
        (container,) = pod["spec"]["containers"]
        assert container["image"] == "samestory"
        for env in container.get("env", []):
            assert env["name"] in settings_env
            ref = env.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                assert ref["key"] in secrets[ref["name"]]["stringData"]
        for source in container.get("envFrom", []):
            assert source["configMapRef"]["name"] in configmaps

    api = deployments["samestory-api"]["spec"]["template"]["spec"]["containers"][0]
    assert cli_accepts(api["args"]) == "serve"
    port_names = {p["name"]: p["containerPort"] for p in api["ports"]}
    assert str(port_names["http"]) == api["args"][api["args"].index("--port") + 1]
    assert api["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert api["readinessProbe"]["httpGet"]["path"] == "/readyz"
    for probe in (api["livenessProbe"], api["readinessProbe"]):
        assert probe["httpGet"]["path"] in routes
        assert probe["httpGet"]["port"] in port_names
    service = services["samestory-api"]
    assert (
        service["spec"]["selector"].items()
        <= deployments["samestory-api"]["spec"]["template"]["metadata"]["labels"].items()
    )
    assert service["spec"]["ports"][0]["targetPort"] in port_names

    worker = deployments["samestory-worker"]["spec"]["template"]["spec"]
    assert cli_accepts(worker["containers"][0]["args"]) == "worker"
    assert worker["terminationGracePeriodSeconds"] > Settings().job_timeout, "let the job in hand finish"

    (redis,) = by_kind(documents, "StatefulSet").values()
    args = redis["spec"]["template"]["spec"]["containers"][0]["args"]
    assert args[args.index("--appendonly") + 1] == "yes"
    assert redis["spec"]["volumeClaimTemplates"]
    url = secrets["samestory-redis"]["stringData"]["redis-url"]
    assert Settings(REDIS_URL=url).redis_url == url, "the Secret's URL passes the settings' validation"
    assert url.split("//")[1].split(":")[0] in services, "the URL names the in-cluster Redis Service"


def test_keda_scales_workers_on_the_real_rq_queue_key() -> None:
    kustomization = yaml.safe_load((K8S / "keda" / "kustomization.yaml").read_text())
    assert kustomization["kind"] == "Component"
    documents = load_documents(K8S / "keda")
    (scaled,) = by_kind(documents, "ScaledObject").values()
    assert scaled["spec"]["scaleTargetRef"]["name"] in by_kind(load_documents(K8S), "Deployment")
    (trigger,) = scaled["spec"]["triggers"]
    assert trigger["type"] == "redis"
    assert trigger["metadata"]["listName"] == Queue.redis_queue_namespace_prefix + Settings().queue
    assert trigger["metadata"]["listName"] == "rq:queue:samestory"
    auth = by_kind(documents, "TriggerAuthentication")[trigger["authenticationRef"]["name"]]
    secrets = by_kind(load_documents(K8S), "Secret")
    for ref in auth["spec"]["secretTargetRef"]:
        assert ref["key"] in secrets[ref["name"]]["stringData"]


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed: kustomize not run")
def test_kustomize_renders_the_base_and_both_components(tmp_path: Path) -> None:
    base = subprocess.run(["kubectl", "kustomize", str(K8S)], capture_output=True, text=True, timeout=60)
    assert base.returncode == 0, base.stderr
    kinds = {(d["kind"], d["metadata"]["name"]) for d in yaml.safe_load_all(base.stdout)}
    assert ("StatefulSet", "redis") in kinds and ("Deployment", "samestory-api") in kinds

    # kustomize refuses absolute paths: an overlay in a temporary folder refers to the repo relatively
    overlay = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": [os.path.relpath(K8S, tmp_path)],
        "components": [os.path.relpath(K8S / c, tmp_path) for c in ("keda", "external-redis")],
    }
    (tmp_path / "kustomization.yaml").write_text(yaml.safe_dump(overlay))
    built = subprocess.run(
        ["kubectl", "kustomize", str(tmp_path)], capture_output=True, text=True, timeout=60
    )
    assert built.returncode == 0, built.stderr
    kinds = {(d["kind"], d["metadata"]["name"]) for d in yaml.safe_load_all(built.stdout)}
    assert ("ScaledObject", "samestory-worker") in kinds
    assert ("StatefulSet", "redis") not in kinds and ("Service", "redis") not in kinds
    assert ("Deployment", "samestory-worker") in kinds


# -- the probes answer as the manifests expect ---------------------------------------------------------------
def test_probes_answer_and_readyz_refuses_an_index_built_otherwise(api: Api, redis: Redis) -> None:
    assert api.http.get("/healthz").json() == {"status": "ok", "redis": "ok"}
    assert api.http.get("/readyz").json() == {"status": "ready", "redis": "ok", "index": "ok"}

    # The index is rebuilt meanwhile by a deployment with other signature settings.
    redis.flushdb()
    other = api.settings.model_copy(update={"num_perm": 64})
    Store(redis, other.key_prefix).open_index(other.index_params())
    response = api.http.get("/readyz")
    assert response.status_code == 503
    assert "num_perm: index has 64, settings say 120" in response.json()["index"]
    assert api.http.get("/healthz").status_code == 200, "alive, only not ready"


def test_probes_and_the_page_need_no_api_key_and_metrics_do(settings: Settings) -> None:
    from conftest import serve

    for keyed in serve(settings.model_copy(update={"api_keys": "k1"})):
        for path in ("/healthz", "/readyz", "/ui", "/ui/static/app.js"):
            assert keyed.http.get(path).status_code == 200, path
        assert keyed.http.get("/metrics").status_code == 401
        assert keyed.http.get("/metrics", headers={"X-API-Key": "k1"}).status_code == 200
        assert keyed.http.get("/stats").status_code == 401
        assert keyed.http.get("/stats", headers={"X-API-Key": "k1"}).status_code == 200


# -- OpenAPI --------------------------------------------------------------------------------------------
def test_openapi_lists_every_endpoint_with_summary_and_error_responses(api: Api) -> None:
    spec = api.http.get("/openapi.json").json()
    documented = {(m.upper(), p) for p, ops in spec["paths"].items() for m in ops}
    assert endpoints() <= documented
    assert {("GET", "/readyz"), ("GET", "/metrics"), ("GET", "/ui")} <= documented

    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            where = f"{method.upper()} {path}"
            assert operation.get("summary"), f"{where}: no summary"
            for code, response in operation["responses"].items():
                if code[0] in "45":
                    assert "example" in json.dumps(response), f"{where} {code}: no example"
            if path not in ("/healthz", "/readyz", "/ui"):
                assert "401" in operation["responses"], f"{where}: 401 not documented"
            if path not in ("/ui", "/metrics"):
                assert "503" in operation["responses"], f"{where}: 503 not documented"
            if "requestBody" in operation:
                assert {"400", "413", "422"} <= set(operation["responses"]), where
    assert "HTTPValidationError" not in json.dumps(spec), "errors are documented as the ErrorOut they are"
    assert spec["components"]["schemas"]["ArticleIn"].get("examples"), "the article body has an example"

    docs = api.http.get("/docs")
    assert docs.status_code == 200 and "swagger-ui" in docs.text.lower()
