# kitbase/node:18-full: the "fat official image" class (node:18 on buildpack-deps): node and npm
# with compilers, git, python3 and curl, recommends included.
ARG DEBIAN=kitbase/debian:12
FROM ${DEBIAN}
RUN apt-get update \
 && apt-get install -y nodejs npm build-essential git python3 curl ca-certificates \
 && rm -rf /var/lib/apt/lists/*
# npm uses its own CA list; point it at the system bundle, which holds the host's anchors too.
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
CMD ["node"]
