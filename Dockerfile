# The octabyte web service (app/). Build from the repository root:
#   docker build --build-arg VERSION=1.2.3 --build-arg COMMIT=$(git rev-parse HEAD) -t octabyte-app .
# Cross-builds natively for any --platform (the Go compiler cross-compiles;
# no emulation): e.g. --platform linux/arm64 for Graviton ECS tasks.

# Pinned by tag. Pin the digest too (golang:1.26.8-bookworm@sha256:...) where
# a registry is reachable; the offline smoke test builds a local stand-in
# under this exact name.
FROM --platform=$BUILDPLATFORM golang:1.26.8-bookworm AS build
WORKDIR /src

# Dependencies first: this layer stays cached until app/go.mod or go.sum change.
COPY app/go.mod app/go.sum ./
RUN go mod download && go mod verify

COPY app/ ./
# Set by BuildKit and buildah from --platform (empty: the build host's).
ARG TARGETOS
ARG TARGETARCH
ARG VERSION=dev
ARG COMMIT=unknown
RUN --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -buildvcs=false \
      -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT}" \
      -o /out/app .

# No shell, no package manager, no libc: the static binary, CA certificates
# for TLS to RDS, and nothing else. The app writes nothing to disk, so the
# root filesystem can be read-only.
FROM scratch
ARG VERSION=dev
ARG COMMIT=unknown
LABEL org.opencontainers.image.title="octabyte-app" \
      org.opencontainers.image.source="https://github.com/octabyte/octabyte" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${COMMIT}"
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/app /app
USER 65532:65532
EXPOSE 5000
ENTRYPOINT ["/app"]
