# syntax=docker/dockerfile:1
# The hooks service image: `bakerst-hardened hooks serve` plus the TypeScript adapter the brain loads
# (copied into the brain pod by the hooks-adapter init container; see components/hooks_sidecar.py).
# Multi-stage: Node builds the adapter, Python builds a virtualenv, the runtime stage holds only both results
# and runs as an unprivileged user. Pin the base images by digest in your build pipeline
# (`FROM python:3.11.14-slim-bookworm@sha256:...`); `bakerst:images` then pins the result.

ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm
ARG NODE_IMAGE=node:20.19.6-bookworm-slim

FROM ${NODE_IMAGE} AS adapter
WORKDIR /src
COPY adapters/bakerst-core/package.json adapters/bakerst-core/package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY adapters/bakerst-core/ ./
RUN npm run build

FROM ${PYTHON_IMAGE} AS venv
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY hooks/ hooks/
COPY components/ components/
COPY policies/ policies/
COPY bakerst_hardened/ bakerst_hardened/
RUN python -m venv /opt/venv && /opt/venv/bin/pip install . && /opt/venv/bin/python -m compileall -q /opt/venv

FROM ${PYTHON_IMAGE}
LABEL org.opencontainers.image.title="baker-street-hardened hooks service" \
      org.opencontainers.image.source="baker-street-hardened" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV PATH=/opt/venv/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
RUN groupadd --system --gid 10001 hooks && useradd --system --uid 10001 --gid hooks --no-create-home hooks
COPY --from=venv /opt/venv /opt/venv
COPY --from=adapter /src/package.json /src/register.mjs /opt/bakerst-hooks/adapter/
COPY --from=adapter /src/dist /opt/bakerst-hooks/adapter/dist
USER 10001:10001
EXPOSE 8181
ENTRYPOINT ["bakerst-hardened"]
CMD ["hooks", "serve", "--config", "/etc/bakerst-hooks/service.yaml", "--host", "0.0.0.0", "--port", "8181"]
