# kitbase/node:18-full: the "fat official image" class (node:18 on buildpack-deps): node and npm
# with compilers, git, python3 and curl, recommends included; the same contract as node:18-slim
# (the `node` user 1000:1000, npm's global prefix on PATH, docker-entrypoint.sh).
ARG DEBIAN=kitbase/debian:12
FROM ${DEBIAN}
# The mode is set here, not trusted from the build context (a wheel install may drop it).
COPY node-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
RUN chmod 755 /usr/local/bin/docker-entrypoint.sh \
 && groupadd --gid 1000 node \
 && useradd --uid 1000 --gid node --shell /bin/bash --create-home node \
 && apt-get update \
 && apt-get install -y nodejs npm build-essential git python3 curl ca-certificates \
 && rm -rf /var/lib/apt/lists/*
# npm uses its own CA list; point it at the system bundle, which holds the host's anchors too.
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["node"]
