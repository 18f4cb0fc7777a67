# syntax=docker/dockerfile:1
# The skills-vc service image (docs/deploy.md). Two stages: the first installs the project and its
# dependencies into /opt/venv; the second copies that environment and the source tree onto a slim
# base, without pip's cache and without root. Both use the same base, so the virtual
# environment's interpreter is the same file in both.
#
#   docker build -t skills-vc .
#   docker run --rm -e SKILLS_VC_DATABASE_URL=... -e SKILLS_VC_MASTER_KEY=... \
#       -e SKILLS_VC_OPERATOR_KEY=... -e SKILLS_VC_PUBLIC_URL=https://... skills-vc skills-vc migrate
#   docker run -d -p 8000:8000 -e ... skills-vc

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
WORKDIR /app
RUN python -m venv /opt/venv
# .dockerignore lets in only what the service reads: pyproject.toml, README.md, skills_vc/ and
# schemas/ (the published schemas, read from beside the package: it is installed editable).
COPY . .
RUN --mount=type=cache,target=/root/.cache/pip \
    /opt/venv/bin/pip install --disable-pip-version-check -e . \
    && /opt/venv/bin/python -m compileall -q skills_vc

FROM ${PYTHON_IMAGE}
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    SKILLS_VC_MODE=production \
    WEB_CONCURRENCY=2 \
    GRACEFUL_SHUTDOWN_SECONDS=30
RUN groupadd --system --gid 10001 skills-vc \
    && useradd --system --uid 10001 --gid skills-vc --home-dir /app --shell /usr/sbin/nologin skills-vc
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app
COPY --chmod=0755 deploy/docker/serve.sh /usr/local/bin/skills-vc-serve
# Everything above belongs to root and stays read-only for the service.
USER skills-vc
EXPOSE 8000
# /healthz: the process answers (no database). Readiness (/readyz) is for the proxy or the orchestrator.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]
CMD ["skills-vc-serve"]
