# Warden: multi-stage build of the `warden` binary into a small runtime image.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p warden-cli \
 && strip target/release/warden

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home /var/lib/warden --create-home warden
COPY --from=build /src/target/release/warden /usr/local/bin/warden
USER warden
WORKDIR /var/lib/warden
ENV WARDEN_LISTEN=0.0.0.0:8081 \
    WARDEN_DATABASE_URL=sqlite:///var/lib/warden/warden.db
EXPOSE 8081
HEALTHCHECK --interval=10s --timeout=3s CMD curl -fsS http://127.0.0.1:8081/health/ready || exit 1
ENTRYPOINT ["warden", "serve"]
