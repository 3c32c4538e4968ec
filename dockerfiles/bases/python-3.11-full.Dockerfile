# kitbase/python:3.11-full: the "fat official image" class (python:3.11 on buildpack-deps): the
# interpreter with pip, venv, setuptools, headers and compilers, recommends included, so C
# extensions build in place.
ARG DEBIAN=kitbase/debian:12
FROM ${DEBIAN}
RUN apt-get update \
 && apt-get install -y python3 python3-dev python3-pip python3-venv python3-setuptools \
      build-essential ca-certificates \
 && rm -rf /var/lib/apt/lists/*
# pip uses its own CA list (certifi), not the system store; point it at the system bundle, which
# holds the host's anchors too (a TLS-inspecting proxy's CA among them).
ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt
CMD ["python3"]
