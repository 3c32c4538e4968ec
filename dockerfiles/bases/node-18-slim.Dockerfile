# kitbase/node:18-slim: the slim/alpine class: node and npm, no recommends, docs or caches.
ARG DEBIAN_SLIM=kitbase/debian:12-slim
FROM ${DEBIAN_SLIM}
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs npm ca-certificates \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/*
# npm uses its own CA list; point it at the system bundle, which holds the host's anchors too.
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
CMD ["node"]
