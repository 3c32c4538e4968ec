# kitbase/node:18-runtime: the gcr.io/distroless/nodejs18-debian12 class, a release-stage base:
# node, the libraries it loads and the few files in /etc a process expects -- no shell, no npm,
# no package manager (runtime-rootfs.sh). As in distroless, the entrypoint is node
# (/nodejs/bin/node), so a release stage says `CMD ["server.js"]`; it runs as root, and
# kitbase/node:18-runtime-nonroot as nonroot (65532).
ARG DEBIAN_SLIM=kitbase/debian:12-slim
FROM ${DEBIAN_SLIM} AS packages
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs ca-certificates tzdata \
 && rm -rf /var/lib/apt/lists/*
COPY runtime-rootfs.sh /usr/local/bin/
RUN sh /usr/local/bin/runtime-rootfs.sh /rootfs nodejs tzdata \
 && mkdir -p /rootfs/nodejs/bin \
 && ln -s /usr/bin/node /rootfs/nodejs/bin/node

FROM scratch
COPY --from=packages /rootfs /
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
ENTRYPOINT ["/nodejs/bin/node"]
