# kitbase/python:3.11-slim: the slim class: the interpreter and venv (whose ensurepip brings pip
# into each venv), no recommends, no compilers, no docs or caches.
ARG DEBIAN_SLIM=kitbase/debian:12-slim
FROM ${DEBIAN_SLIM}
# Caches go in the same RUN: deleting them in a later one would leave the bytes in this layer.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-venv ca-certificates \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* /var/cache/debconf/*-old /var/log/apt /var/log/dpkg.log
# pip (in venvs made here) ignores the system store; point it at the bundle with the host's anchors.
ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt
CMD ["python3"]
