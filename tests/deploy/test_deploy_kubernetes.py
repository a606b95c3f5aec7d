"""deploy/kubernetes/opsync-cronjob.yaml: valid against Kubernetes' own schemas (through
kubernetes-validate, in the dev extra), and a CronJob that never overlaps, keeps its state
on a volume, takes its secrets from a Secret and runs without privileges."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from opsync.connectors.notion.client import DEFAULT_TOKEN_ENV as NOTION_TOKEN_ENV
from opsync.connectors.slack.client import DEFAULT_TOKEN_ENV as SLACK_TOKEN_ENV

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = ROOT / "deploy" / "kubernetes" / "opsync-cronjob.yaml"
# timeZone on a CronJob is stable from 1.27 on: the oldest version the manifest is checked on
VERSIONS = ("1.27.0", "1.37.0")


def documents() -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(MANIFEST.read_text()) if doc]


def cronjob() -> dict[str, Any]:
    (job,) = [doc for doc in documents() if doc["kind"] == "CronJob"]
    return job


def pod_spec() -> dict[str, Any]:
    spec: dict[str, Any] = cronjob()["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return spec


def container() -> dict[str, Any]:
    (only,) = pod_spec()["containers"]
    return only  # type: ignore[no-any-return]


def dockerfile_user() -> int:
    users = re.findall(r"^USER (\d+)", (ROOT / "Dockerfile").read_text(), re.M)
    return int(users[-1])


@pytest.mark.parametrize("version", VERSIONS)
def test_every_resource_is_valid_against_the_kubernetes_schema(version: str) -> None:
    validate = pytest.importorskip("kubernetes_validate")
    for doc in documents():
        validate.validate(doc, version, strict=True)


def test_the_schema_check_rejects_a_misspelled_field() -> None:
    validate = pytest.importorskip("kubernetes_validate")
    job = cronjob()
    job["spec"]["concurrencyPolicyy"] = job["spec"].pop("concurrencyPolicy")
    with pytest.raises(validate.ValidationError):
        validate.validate(job, VERSIONS[-1], strict=True)


def test_a_run_is_never_started_beside_another_nor_retried_in_its_slot() -> None:
    spec = cronjob()["spec"]
    assert spec["concurrencyPolicy"] == "Forbid"
    interval = int(re.fullmatch(r"\*/(\d+) \* \* \* \*", spec["schedule"])[1]) * 60  # type: ignore[index]
    assert 0 < spec["startingDeadlineSeconds"] < interval
    assert spec["jobTemplate"]["spec"]["backoffLimit"] == 0
    assert pod_spec()["restartPolicy"] == "Never"


def test_the_container_syncs_the_config_mounted_beside_its_state_volume() -> None:
    args = container()["args"]
    assert args[:3] == ["sync", "--config", "/config/opsync.toml"]
    mounts = {m["mountPath"]: m for m in container()["volumeMounts"]}
    volumes = {v["name"]: v for v in pod_spec()["volumes"]}
    state = volumes[mounts["/config"]["name"]]
    claims = {d["metadata"]["name"] for d in documents() if d["kind"] == "PersistentVolumeClaim"}
    assert state["persistentVolumeClaim"]["claimName"] in claims
    config = mounts["/config/opsync.toml"]
    assert config["subPath"] == "opsync.toml" and config["readOnly"] is True
    assert "configMap" in volumes[config["name"]]


def test_secrets_come_from_a_secret_through_the_environment_never_as_values() -> None:
    env = {e["name"]: e for e in container()["env"]}
    for name in (NOTION_TOKEN_ENV, SLACK_TOKEN_ENV):
        assert env[name]["valueFrom"]["secretKeyRef"]["key"] == name
    assert all("value" not in e for e in env.values()), "a literal value in the manifest"


def test_the_pod_runs_as_the_images_unprivileged_user_with_a_read_only_root() -> None:
    pod = pod_spec()["securityContext"]
    assert pod["runAsNonRoot"] is True
    assert pod["runAsUser"] == pod["fsGroup"] == dockerfile_user()
    box = container()["securityContext"]
    assert box["allowPrivilegeEscalation"] is False
    assert box["readOnlyRootFilesystem"] is True
    assert box["capabilities"]["drop"] == ["ALL"]


def test_the_container_asks_for_resources_and_is_capped_in_memory() -> None:
    resources = container()["resources"]
    assert {"cpu", "memory"} <= set(resources["requests"])
    assert "memory" in resources["limits"]
