# syntax=docker/dockerfile:1
# Build: docker build -t ingest .   Run: docker compose run --rm ingest
FROM golang:1.26 AS build
WORKDIR /src
# Modules first, so that a code change does not download them again.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" \
	-o /out/ingest ./cmd/ingest

# Static binary on distroless: no shell, CA certificates included, non-root.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/ingest /ingest
USER nonroot:nonroot
ENTRYPOINT ["/ingest"]
CMD ["run"]
