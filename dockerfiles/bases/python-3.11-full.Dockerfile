# kitbase/python:3.11-full: the "fat official image" class (python:3.11 on buildpack-deps): the
# interpreter with pip, venv, setuptools, headers and compilers, recommends included, so C
# extensions build in place. The official image's contract: `python`, `python3`, `pip`, `pip3` on
# PATH, `pip install` as root (Debian's EXTERNALLY-MANAGED marker diverted away, so upgrades do
# not bring it back), `python -m venv`, LANG=C.UTF-8, and the interpreter at /usr/bin/python3.11
# in full, slim and runtime alike, so a venv built here runs on the others.
ARG DEBIAN=kitbase/debian:12
FROM ${DEBIAN}
RUN apt-get update \
 && apt-get install -y python3 python3-dev python3-pip python3-venv python3-setuptools \
      python-is-python3 build-essential ca-certificates \
 && dpkg-divert --local --rename --add /usr/lib/python3.11/EXTERNALLY-MANAGED \
 && rm -rf /var/lib/apt/lists/*
# pip uses its own CA list (certifi), not the system store; point it at the system bundle, which
# holds the host's anchors too (a TLS-inspecting proxy's CA among them).
ENV LANG=C.UTF-8 \
    PIP_CERT=/etc/ssl/certs/ca-certificates.crt
CMD ["python3"]
