# syntax=docker/dockerfile:1
# Build: docker build -t ingest .   Run: docker compose run --rm ingest
# Without access to these images, name others you have (README.md, "Docker"):
#   docker build --build-arg GO_IMAGE=... --build-arg RUNTIME_IMAGE=... -t ingest .
# GO_IMAGE needs the Go of go.mod; the binary is static, so RUNTIME_IMAGE can
# be any Linux image (scratch has no CA certificates: the demo works, Graph
# does not).
ARG GO_IMAGE=golang:1.26
ARG RUNTIME_IMAGE=gcr.io/distroless/static-debian12:nonroot

FROM ${GO_IMAGE} AS build
WORKDIR /src
# A module proxy or mirror, if proxy.golang.org cannot be reached.
ARG GOPROXY
# Modules first, so that a code change does not download them again.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" \
	-o /out/ingest ./cmd/ingest

# Static binary on distroless: no shell, CA certificates included, non-root
# (65532 is distroless's nonroot, by number so that any base image works).
FROM ${RUNTIME_IMAGE}
COPY --from=build /out/ingest /ingest
USER 65532:65532
ENTRYPOINT ["/ingest"]
CMD ["run"]
