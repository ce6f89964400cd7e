"""hub/k8s/enclave.yaml: the enclave Job and its deny-all NetworkPolicy keep what ``scoring.enclave`` promises."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from deploy_files import REPO_ROOT

from arena.settings import Settings
from scoring.enclave import CodeLimits
from scoring.enclave.bwrap import CODE_DIR, FEATURES_FILE, OUTPUT_DIR, SCRATCH_DIR, harness_args
from scoring.enclave.docker_runner import CONTAINER_PYTHON

ENCLAVE = REPO_ROOT / "hub" / "k8s" / "enclave.yaml"


@pytest.fixture(scope="module")
def manifests() -> dict[str, dict[str, Any]]:
    """The documents of enclave.yaml by kind."""
    return {doc["kind"]: doc for doc in yaml.safe_load_all(ENCLAVE.read_text()) if doc}


@pytest.fixture(scope="module")
def pod(manifests: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return manifests["Job"]["spec"]["template"]


def test_the_policy_selects_the_enclave_pods_and_allows_nothing_in_or_out(manifests, pod) -> None:
    policy = manifests["NetworkPolicy"]["spec"]

    assert policy["podSelector"]["matchLabels"].items() <= pod["metadata"]["labels"].items()
    assert sorted(policy["policyTypes"]) == ["Egress", "Ingress"]
    assert "ingress" not in policy and "egress" not in policy


def test_the_pod_has_no_token_no_service_links_no_host_namespaces(pod) -> None:
    spec = pod["spec"]

    assert spec["automountServiceAccountToken"] is False and spec["enableServiceLinks"] is False
    assert not any(spec[key] for key in ("hostNetwork", "hostPID", "hostIPC"))
    assert spec["restartPolicy"] == "Never"
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["runAsUser"] == Settings(_env_file=None).enclave_uid_base
    container = spec["containers"][0]
    assert container["securityContext"] == {
        "allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "privileged": False,
        "capabilities": {"drop": ["ALL"]},
    }
    assert not any(item["name"].startswith(("ARENA_", "JUPYTERHUB_")) or "valueFrom" in item for item in container["env"])


def test_the_job_runs_the_harness_of_the_sandbox_image_once_within_the_limits(manifests, pod) -> None:
    job, container = manifests["Job"]["spec"], pod["spec"]["containers"][0]
    limits = CodeLimits()

    assert job["backoffLimit"] == 0 and job["activeDeadlineSeconds"] == limits.wall_seconds
    assert container["image"] == Settings(_env_file=None).enclave_image
    assert container["command"] + container["args"] == harness_args(CONTAINER_PYTHON, "ID_COLUMN", "TARGET_COLUMN")
    assert "--smoke-test" not in container["args"]
    assert container["resources"]["limits"] == container["resources"]["requests"]
    assert container["resources"]["limits"]["memory"] == f"{limits.memory_mb}Mi"
    assert float(container["resources"]["limits"]["cpu"]) == limits.cpus


def test_only_the_code_and_one_challenges_features_are_mounted_read_only(pod) -> None:
    mounts = {mount["mountPath"]: mount for mount in pod["spec"]["containers"][0]["volumeMounts"]}
    volumes = {volume["name"]: volume for volume in pod["spec"]["volumes"]}

    assert set(mounts) == {CODE_DIR, FEATURES_FILE, OUTPUT_DIR, SCRATCH_DIR, "/dev/shm"}
    features = mounts[FEATURES_FILE]
    assert features["readOnly"] is True and features["subPath"] == "CHALLENGE/test_features.parquet"
    assert volumes[features["name"]]["persistentVolumeClaim"] == {"claimName": "data-arena-answers", "readOnly": True}
    assert mounts[CODE_DIR]["readOnly"] is True and mounts[CODE_DIR]["subPath"].endswith("/code")
    assert all("subPath" in mount for mount in mounts.values() if "persistentVolumeClaim" in volumes[mount["name"]])
    assert volumes[mounts[SCRATCH_DIR]["name"]]["emptyDir"] == {"medium": "Memory", "sizeLimit": f"{CodeLimits().scratch_mb}Mi"}
