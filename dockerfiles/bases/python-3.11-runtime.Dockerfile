# kitbase/python:3.11-runtime: the interpreter and its standard library alone, a release-stage
# base: no pip, no venv/ensurepip wheels, no CA bundle, no compilers. python3-minimal gives the
# interpreter (and the /usr/bin/python3 a venv's symlink points at), libpython3.11-stdlib the rest
# of the stdlib; the python3 and python3.11 packages would add only pydoc/2to3 wrappers and the
# ca-certificates recommend.
ARG DEBIAN_SLIM=kitbase/debian:12-slim
FROM ${DEBIAN_SLIM}
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3-minimal libpython3.11-stdlib \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* /var/cache/debconf/*-old /var/log/apt /var/log/dpkg.log
CMD ["python3"]
