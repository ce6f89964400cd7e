"""hub/k8s: the z2jh values and the scoring manifests parse and keep the isolation the platform promises."""

from __future__ import annotations

import tomllib
from typing import Any

import pytest
import yaml
from deploy_files import REPO_ROOT, parse_dockerfile, walk

from arena.health import proxy_health_url
from arena.settings import Settings

K8S = REPO_ROOT / "hub" / "k8s"
WORKLOAD_KINDS = {"Deployment", "Job"}


@pytest.fixture(scope="module")
def values() -> dict[str, Any]:
    """The z2jh values."""
    return yaml.safe_load((K8S / "values.yaml").read_text())


@pytest.fixture(scope="module")
def manifests() -> list[dict[str, Any]]:
    """Every document of scoring.yaml (anchors resolved)."""
    return [doc for doc in yaml.safe_load_all((K8S / "scoring.yaml").read_text()) if doc]


def _named(manifests: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    return next(doc for doc in manifests if doc["kind"] == kind and doc["metadata"]["name"] == name)


def _env(container: dict[str, Any]) -> dict[str, Any]:
    return {item["name"]: item.get("value", item.get("valueFrom")) for item in container.get("env", [])}


def test_singleuser_runs_the_sandbox_image_of_the_settings(values):
    image = values["singleuser"]["image"]

    assert f"{image['name']}:{image['tag']}" == Settings(_env_file=None).sandbox_image == "data-arena/sandbox:0.1.0"
    assert values["singleuser"]["extraEnv"]["ARENA_SCORING_URL"] == "http://data-arena-scoring:8090/services/scoring"


def test_sandbox_egress_reaches_only_the_scoring_service_port(values, manifests):
    policy = values["singleuser"]["networkPolicy"]
    service = _named(manifests, "Service", "data-arena-scoring")
    scoring_labels = _named(manifests, "Deployment", "data-arena-scoring")["spec"]["template"]["metadata"]["labels"]

    assert policy["enabled"] is True
    assert {rule for rule, allowed in policy["egressAllowRules"].items() if allowed} == {"dnsPortsKubeSystemNamespace"}
    assert len(policy["egress"]) == 1
    rule = policy["egress"][0]
    assert rule["ports"] == [{"port": service["spec"]["ports"][0]["port"], "protocol": "TCP"}]
    assert [peer.keys() for peer in rule["to"]] == [{"podSelector": None}.keys()]
    selector = rule["to"][0]["podSelector"]["matchLabels"]
    assert selector.items() <= scoring_labels.items()
    assert selector == service["spec"]["selector"]


def test_sandboxes_mount_public_stores_read_only_and_never_the_answers(values):
    storage = values["singleuser"]["storage"]
    claims = {volume["persistentVolumeClaim"]["claimName"] for volume in storage["extraVolumes"]}

    assert claims == {"data-arena-datasets", "data-arena-challenges"}
    assert all(mount["readOnly"] is True for mount in storage["extraVolumeMounts"])
    assert "answers" not in yaml.safe_dump(values["singleuser"])


def test_hub_database_is_external_postgres_with_the_password_from_a_secret(values):
    hub = values["hub"]

    assert hub["db"]["type"] == "postgres"
    assert hub["db"]["url"].startswith("postgresql+psycopg://"), "psycopg 3 is the driver the hub image has"
    assert ":" not in hub["db"]["url"].removeprefix("postgresql+psycopg://").split("@")[0], "no password in the URL"
    assert hub["extraEnv"]["PGPASSWORD"]["valueFrom"]["secretKeyRef"]["name"] == "data-arena"
    assert hub["extraEnv"]["ARENA_DATABASE_URL"]["valueFrom"]["secretKeyRef"]["key"] == "database-url"


def test_hub_extra_config_loads_the_arena_configuration(values):
    snippet = values["hub"]["extraConfig"]["arena"]

    compile(snippet, "extraConfig.arena", "exec")
    assert "from arena.settings import get_settings" in snippet
    assert "ArenaAuthenticator" in snippet and "SERVER_TOKEN_SCOPES" in snippet
    assert values["hub"]["services"]["scoring"]["url"] == "http://data-arena-scoring:8090"


def test_every_arena_variable_is_a_settings_field(values, manifests):
    fields = {name.upper() for name in Settings.model_fields}
    names = set(values["hub"]["extraEnv"]) | {
        item["name"]
        for doc in manifests
        for node in walk(doc)
        if isinstance(node, dict)
        for item in node.get("env", [])
    }

    arena = {name.removeprefix("ARENA_") for name in names if name.startswith("ARENA_")}
    assert {"DATABASE_URL", "PRODUCTION", "LOG_FORMAT"} <= arena
    assert arena - fields == set()


@pytest.mark.parametrize("name", ["data-arena-scoring", "data-arena-worker", "data-arena-migrate"])
def test_workloads_have_limits_and_run_as_non_root(manifests, name):
    workload = next(doc for doc in manifests if doc["kind"] in WORKLOAD_KINDS and doc["metadata"]["name"] == name)
    pod = workload["spec"]["template"]["spec"]

    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] not in (0, None)
    for container in pod["containers"]:
        assert {"cpu", "memory"} <= container["resources"]["limits"].keys(), container["name"]
        assert {"cpu", "memory"} <= container["resources"]["requests"].keys(), container["name"]
        assert container["securityContext"]["allowPrivilegeEscalation"] is False
        assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]
        assert _env(container)["ARENA_DATABASE_URL"]["secretKeyRef"]["name"] == "data-arena"


def test_scoring_service_is_probed_on_health_and_scraped_on_metrics(manifests):
    pod = _named(manifests, "Deployment", "data-arena-scoring")["spec"]["template"]
    container = pod["spec"]["containers"][0]

    assert container["readinessProbe"]["httpGet"]["path"] == "/services/scoring/health"
    assert pod["metadata"]["annotations"]["prometheus.io/path"] == "/services/scoring/metrics"
    assert _env(container)["ARENA_EMBEDDED_WORKER"] == "false"
    assert _env(container)["JUPYTERHUB_SERVICE_PREFIX"] == "/services/scoring/"


def test_workers_only_read_the_answers_and_submissions(manifests):
    pod = _named(manifests, "Deployment", "data-arena-worker")["spec"]["template"]["spec"]
    mounts = {mount["name"]: mount for mount in pod["containers"][0]["volumeMounts"]}

    assert mounts["answers"]["readOnly"] is True and mounts["submissions"]["readOnly"] is True
    assert pod["terminationGracePeriodSeconds"] >= 60


def test_hub_image_is_built_from_the_repository_and_runs_as_its_user(values, compose):
    instructions = parse_dockerfile(K8S / "Dockerfile")
    base = next(instruction.arguments for instruction in instructions if instruction.keyword == "FROM")
    build_lines = [line for line in (K8S / "Dockerfile").read_text().splitlines() if "docker build" in line]
    image = values["hub"]["image"]
    security = values["hub"]["containerSecurityContext"]
    last_user = [instruction.arguments for instruction in instructions if instruction.keyword == "USER"][-1]

    assert base == compose["services"]["hub"]["image"], "built on the compose hub image (same pins, same code)"
    assert any(f"-t {image['name']}:{image['tag']}" in line for line in build_lines)
    assert last_user == f"{security['runAsUser']}:{security['runAsGroup']}"
    assert security["allowPrivilegeEscalation"] is False


def test_hub_image_installs_what_the_chart_config_imports_pinned():
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    extra = project["optional-dependencies"]["k8s"]
    runs = " ".join(i.arguments for i in parse_dockerfile(K8S / "Dockerfile") if i.keyword == "RUN")

    assert {pin.split("==")[0] for pin in extra} == {"jupyterhub-kubespawner", "pycurl"}
    assert all("==" in pin for pin in extra)
    assert '".[k8s]"' in runs and "import kubespawner, kubernetes_asyncio, pycurl" in runs


def test_doctor_reaches_the_proxy_through_the_charts_public_service(values):
    settings = Settings(proxy_check_url=values["hub"]["extraEnv"]["ARENA_PROXY_CHECK_URL"], _env_file=None)

    assert proxy_health_url(settings) == "http://proxy-public/hub/health"
