# syntax=docker/dockerfile:1

# ---- build ---------------------------------------------------------------------------------
FROM rust:1-bookworm AS builder
WORKDIR /app

# Build the dependencies alone first, against placeholder sources, so this layer stays cached
# until Cargo.toml, Cargo.lock or the benchmarks change. Cargo reads every target the manifest
# declares, so the `[[bench]]` files must be there even for `--bin` (tests/packaging.rs checks).
COPY Cargo.toml Cargo.lock ./
COPY benches ./benches
RUN mkdir src \
 && echo 'fn main() {}' > src/main.rs \
 && touch src/lib.rs \
 && cargo build --release --locked --bin erpnext-bot \
 && rm -rf src

# The real sources. Touch the crate roots so cargo does not mistake the placeholder build for
# an up-to-date one (COPY keeps the files' original, possibly older, modification times).
COPY src ./src
RUN touch src/main.rs src/lib.rs \
 && cargo build --release --locked --bin erpnext-bot

# ---- runtime -------------------------------------------------------------------------------
FROM debian:bookworm-slim

# ca-certificates for TLS to ERPNext and Telegram; curl only for the health check.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 erpbot \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin erpbot

COPY --from=builder /app/target/release/erpnext-bot /usr/local/bin/erpnext-bot

USER 10001:10001
ENV LISTEN_ADDR=0.0.0.0:8080
EXPOSE 8080

# Ready = Redis reachable. Assumes the default port; docker-compose.yml defines the same check.
HEALTHCHECK --interval=15s --timeout=5s --start-period=10s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8080/readyz || exit 1

ENTRYPOINT ["erpnext-bot"]
CMD ["serve"]
