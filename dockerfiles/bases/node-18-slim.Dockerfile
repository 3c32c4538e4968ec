# kitbase/node:18-slim: the node:18-slim class: node and npm, no recommends, docs or caches, with
# the official image's contract: a `node` user and group (1000:1000, home /home/node, bash), npm's
# global prefix /usr/local (so `npm install -g` lands on PATH) and docker-entrypoint.sh (a first
# argument that is not a command runs under node: `CMD ["server.js"]` works).
ARG DEBIAN_SLIM=kitbase/debian:12-slim
FROM ${DEBIAN_SLIM}
# The mode is set here, not trusted from the build context (a wheel install may drop it).
COPY node-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
RUN chmod 755 /usr/local/bin/docker-entrypoint.sh \
 && groupadd --gid 1000 node \
 && useradd --uid 1000 --gid node --shell /bin/bash --create-home node \
 && apt-get update \
 && apt-get install -y --no-install-recommends nodejs npm ca-certificates \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* /var/cache/debconf/*-old /var/log/apt /var/log/dpkg.log
# npm uses its own CA list; point it at the system bundle, which holds the host's anchors too.
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["node"]
