# flowhound container image (see "Container image" in README.md).
#   docker build -t flowhound:0.1.0 .
#   docker run --read-only --tmpfs /tmp -v "$PWD/pipelines/calico.yaml:/etc/flowhound/pipeline.yaml:ro" flowhound:0.1.0
# Linted by test/integration/dockerfile.test.ts (hadolint, no warnings). Not built by the tests:
# no image registry is reachable from the development and CI machines.

# Build stage: production dependencies only. patch-package runs as the postinstall script (it
# patches kafkajs, a runtime dependency), so patches/ must be there before `npm ci`.
FROM node:24-bookworm-slim AS build
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
COPY patches/ patches/
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
# The sources are TypeScript that Node 24 runs by type stripping: there is no compile step.
COPY bin/ bin/
COPY src/ src/
COPY pipelines/ pipelines/
COPY dashboards/ dashboards/

# Runtime: distroless Node 24, no shell, no package manager, non-root (65532 = distroless "nonroot").
# The files stay root-owned and read-only to the process; flowhound writes nothing outside /tmp
# (its state and dead letters go to Kafka), so the pod can run with readOnlyRootFilesystem and an
# emptyDir at /tmp.
FROM gcr.io/distroless/nodejs24-debian12:nonroot
LABEL org.opencontainers.image.title="flowhound" \
      org.opencontainers.image.description="Streaming detection of lateral movement and exfiltration in Kubernetes flow logs from Kafka" \
      org.opencontainers.image.licenses="Apache-2.0"
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app /app
USER 65532:65532
# Prometheus metrics (metrics.port in the pipeline files).
EXPOSE 9464
# node itself, not npm or npx: nothing to write at start, and SIGTERM reaches flowhound directly.
ENTRYPOINT ["/nodejs/bin/node", "bin/flowhound.js"]
CMD ["run", "--pipeline", "/etc/flowhound/pipeline.yaml"]
