# syntax=docker/dockerfile:1
#
# Tenant Gateway image: the gateway plus php-fpm 8.2, in the install layout of README "Deploying"
# (/opt/tenant-gateway: bin/gateway, conf/, gateway/target/gateway-*.jar and gateway/target/lib/).
#
#   docker build -t tenant-gateway .
#   docker run --rm -p 8080:8080 -v /srv/tenants:/srv/tenants:ro \
#     -v /etc/tenant-gateway/tenants.yaml:/opt/tenant-gateway/conf/tenants.yaml tenant-gateway
#
# Settings are the GATEWAY_* variables (README "Configuration"). The gateway runs as root inside the
# container so that each tenant's pool runs as its own user tg-<id> (setpriv); Docker's default
# capabilities are enough for that. cgroup limits need a writable /sys/fs/cgroup, which containers
# do not get by default: the start-up log then says the limits are not enforced.

# ---- build: the same command as README's (mvn -B -q -DskipTests package)
FROM maven:3.9.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/root/.m2 mvn -B -q -DskipTests package

# ---- runtime
FROM debian:12.8-slim
# openjdk's postinst links its man pages, whose directory slim images leave out
RUN mkdir -p /usr/share/man/man1 \
 && apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      openjdk-17-jre-headless php8.2-fpm util-linux procps curl tini ca-certificates bubblewrap s6 execline \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/tenant-gateway
COPY --from=build /src/gateway/target/gateway-*.jar gateway/target/
COPY --from=build /src/gateway/target/lib/ gateway/target/lib/
COPY bin/gateway bin/gateway
COPY conf/gateway.yaml conf/php-fpm-pool.conf conf/tenants.yaml conf/
ENV LANG=C.UTF-8
EXPOSE 8080 9180
# SIGTERM drains requests in flight and stops every pool (give it docker stop -t 60 / stop_grace_period)
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD curl -fsS -o /dev/null "http://127.0.0.1:${GATEWAY_ADMIN_PORT:-9180}/healthz" || exit 1
# tini as PID 1: forwards SIGTERM/SIGHUP to the gateway and reaps php-fpm workers orphaned by a crash
ENTRYPOINT ["/usr/bin/tini", "--", "/opt/tenant-gateway/bin/gateway"]
