# kitbase/busybox:1: Debian's statically linked busybox alone on scratch (~2 MB).
ARG DEBIAN=kitbase/debian:12
FROM ${DEBIAN} AS get
RUN apt-get update \
 && apt-get install -y --no-install-recommends busybox-static \
 && rm -rf /var/lib/apt/lists/*

FROM scratch
COPY --from=get /bin/busybox /bin/busybox
RUN ["/bin/busybox", "sh", "-c", "/bin/busybox --install -s /bin && mkdir -p /tmp /etc /root && chmod 1777 /tmp"]
ENV PATH=/bin
CMD ["sh"]
