# fal-studio: a small static image. The web UI is committed (web/dist), so no Node is needed.
#   docker build -t falstudio --build-arg VERSION=$(git describe --tags --always) .
#   docker run -d --name falstudio -p 127.0.0.1:8080:8080 -v falstudio-data:/data falstudio
# See docs/deploy.md (reverse proxy, TLS, backups).

FROM golang:1.26-bookworm AS build
WORKDIR /src
# Dependencies first, so a code change does not re-download them.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
# CGO_ENABLED=0: pure Go (modernc SQLite), one static binary that runs on distroless/static.
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/falstudio ./cmd/falstudio \
 && mkdir -p /out/data

# distroless/static: CA certificates (fal and S3 are HTTPS) and tzdata, no shell, no package
# manager; "nonroot" is uid/gid 65532.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/falstudio /usr/local/bin/falstudio
# The volume's mount point belongs to the non-root user, mode 0700 (secrets and the database).
COPY --from=build --chown=65532:65532 --chmod=0700 /out/data /data
ENV DATA_DIR=/data \
    ADDR=:8080
VOLUME ["/data"]
USER 65532:65532
EXPOSE 8080
# Liveness/readiness are HTTP: GET /healthz and /readyz (the image has no shell for a HEALTHCHECK).
ENTRYPOINT ["/usr/local/bin/falstudio"]
