# kitbase/node:18-runtime: the node runtime alone, no npm: a release-stage base.
ARG DEBIAN_SLIM=kitbase/debian:12-slim
FROM ${DEBIAN_SLIM}
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/*
CMD ["node"]
