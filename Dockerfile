# syntax=docker/dockerfile:1
# Build stage: compile the `commons` binary in release mode.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin commons \
 && cp target/release/commons /commons

# Runtime stage: the binary, the moderation rules and CA certificates only.
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/commons --create-home commons
COPY --from=build /commons /usr/local/bin/commons
COPY moderation /etc/commons/moderation
ENV COMMONS_BIND=0.0.0.0:8080 \
    COMMONS_DATA_DIR=/var/lib/commons \
    COMMONS_MODERATION_DIR=/etc/commons/moderation
USER commons
WORKDIR /var/lib/commons
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
ENTRYPOINT ["/usr/local/bin/commons"]
CMD ["serve"]
