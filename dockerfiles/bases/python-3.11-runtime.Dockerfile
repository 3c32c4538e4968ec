# kitbase/python:3.11-runtime: the gcr.io/distroless/python3-debian12 class, a release-stage
# base: the interpreter, its standard library, the libraries they load and the few files in /etc
# a process expects -- no shell, no pip, no package manager (runtime-rootfs.sh). As in
# distroless, the entrypoint is the interpreter, which lives at /usr/bin/python3.11 (with python
# and python3 beside it) as in kitbase/python:3.11-full and -slim: a venv built there and copied
# here runs. Root by default; kitbase/python:3.11-runtime-nonroot runs as nonroot (65532).
ARG DEBIAN_SLIM=kitbase/debian:12-slim
FROM ${DEBIAN_SLIM} AS packages
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3.11-minimal libpython3.11-stdlib \
      ca-certificates tzdata \
 && rm -rf /var/lib/apt/lists/*
COPY runtime-rootfs.sh /usr/local/bin/
RUN sh /usr/local/bin/runtime-rootfs.sh /rootfs python3.11-minimal libpython3.11-stdlib tzdata \
 && ln -s python3.11 /rootfs/usr/bin/python3 \
 && ln -s python3.11 /rootfs/usr/bin/python

FROM scratch
COPY --from=packages /rootfs /
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    LANG=C.UTF-8 \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
ENTRYPOINT ["/usr/bin/python3.11"]
