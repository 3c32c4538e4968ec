# kitbase/python:3.11-slim: the python:3.11-slim class: the interpreter, pip and venv, no
# recommends, no compilers, no docs or caches; the same contract as kitbase/python:3.11-full
# (python, python3, pip, pip3 on PATH, pip install as root, python -m venv, LANG=C.UTF-8, the
# interpreter at /usr/bin/python3.11).
ARG DEBIAN_SLIM=kitbase/debian:12-slim
FROM ${DEBIAN_SLIM}
# Caches go in the same RUN: deleting them in a later one would leave the bytes in this layer.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-venv python3-pip \
      python-is-python3 ca-certificates \
 && dpkg-divert --local --rename --add /usr/lib/python3.11/EXTERNALLY-MANAGED \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* /var/cache/debconf/*-old /var/log/apt /var/log/dpkg.log
# pip ignores the system store; point it at the bundle with the host's anchors.
ENV LANG=C.UTF-8 \
    PIP_CERT=/etc/ssl/certs/ca-certificates.crt
CMD ["python3"]
