# syntax=docker/dockerfile:1
# opsync as a container image, for a scheduler whose disk is thrown away after each run
# (a Kubernetes CronJob, a scheduled CI workflow). docs/deploy.md tells how to run it.
#
#   docker build -t opsync:0.1.0 .
#   docker build -t opsync:0.1.0 --build-arg OPSYNC_EXTRAS=notion,slack .
#
# Every version is pinned: the base image by its exact tag (pass a digest-pinned reference
# with --build-arg PYTHON_IMAGE=python:3.11.11-slim-bookworm@sha256:…), and every Python
# package by deploy/constraints.txt (refresh it with deploy/refresh-constraints.sh).

ARG PYTHON_IMAGE=python:3.11.11-slim-bookworm

# --- build: the wheel, and a virtual environment with it and its dependencies -------------
FROM ${PYTHON_IMAGE} AS build

# Extras to install, comma-separated, from pyproject.toml's [project.optional-dependencies]
# (notion, atlassian, linear, slack, postgres, charts, s3 …); empty for the local workspace only.
ARG OPSYNC_EXTRAS=notion,atlassian,linear,slack,postgres

# (pip compiles each module as it installs it: the runtime's root filesystem may be
# read-only, and a run then starts without compiling anything)
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

COPY deploy/constraints.txt /tmp/constraints.txt
RUN python -m venv /opt/opsync \
    && /opt/opsync/bin/pip install --constraint /tmp/constraints.txt pip setuptools

WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
RUN /opt/opsync/bin/pip wheel --no-deps --no-build-isolation --wheel-dir /tmp/wheels . \
    && wheel="$(ls /tmp/wheels/opsync-*.whl)" \
    && if [ -n "${OPSYNC_EXTRAS}" ]; then wheel="${wheel}[${OPSYNC_EXTRAS}]"; fi \
    && /opt/opsync/bin/pip install --constraint /tmp/constraints.txt "${wheel}" \
    && /opt/opsync/bin/pip uninstall --yes pip setuptools

# --- runtime: the environment alone, run as a user without privileges ---------------------
FROM ${PYTHON_IMAGE}

LABEL org.opencontainers.image.title="opsync" \
      org.opencontainers.image.description="Product Ops operating system on top of the tools an organisation uses" \
      org.opencontainers.image.licenses="Apache-2.0"

ENV PATH=/opt/opsync/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/home/opsync

# One fixed, unprivileged id, so a Kubernetes securityContext (runAsUser, fsGroup) and a
# volume's owner can name it. /config is the workspace folder: opsync.toml, and beside it
# what opsync keeps between runs (.opsync/ state, outbox/, pages/ of a local workspace).
RUN groupadd --system --gid 10001 opsync \
    && useradd --system --uid 10001 --gid 10001 --home-dir /home/opsync --create-home \
       --shell /usr/sbin/nologin opsync \
    && mkdir /config \
    && chown 10001:10001 /config

COPY --from=build /opt/opsync /opt/opsync

USER 10001:10001
WORKDIR /config

# No HEALTHCHECK: each container is one run that exits with its code (docs/cli.md, exit
# codes); there is no long-lived process whose health a probe could report.
ENTRYPOINT ["opsync"]
CMD ["sync", "--config", "/config/opsync.toml"]
