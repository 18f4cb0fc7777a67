#!/bin/sh
# The command of the skills-vc image: `skills-vc serve` configured by the container's environment.
#   WEB_CONCURRENCY            worker processes (default 2)
#   GRACEFUL_SHUTDOWN_SECONDS  how long requests in flight may finish after SIGTERM (default 30)
#   PROMETHEUS_MULTIPROC_DIR   when set, emptied of the previous run's counts before the start
# Migrations are a step of their own (`skills-vc migrate`, the compose service "migrate"):
# replicas that start together must not migrate at the same time.
set -eu

if [ -n "${PROMETHEUS_MULTIPROC_DIR:-}" ]; then
  mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
  # prometheus-client keeps one *.db file per worker; a previous run's would add to this one's.
  find "$PROMETHEUS_MULTIPROC_DIR" -maxdepth 1 -type f -name '*.db' -delete
fi

exec skills-vc serve \
  --host 0.0.0.0 \
  --port 8000 \
  --no-migrate-first \
  --workers "${WEB_CONCURRENCY:-2}" \
  --timeout-graceful-shutdown "${GRACEFUL_SHUTDOWN_SECONDS:-30}"
