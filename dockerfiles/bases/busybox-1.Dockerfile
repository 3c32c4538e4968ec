# kitbase/busybox:1: Debian's statically linked busybox alone on scratch (~2 MB), with what the
# busybox image offers besides the applets: /etc/passwd and /etc/group (root, nobody), so
# `USER nobody` works, and /tmp, /root, /home.
ARG DEBIAN=kitbase/debian:12
FROM ${DEBIAN} AS get
RUN apt-get update \
 && apt-get install -y --no-install-recommends busybox-static \
 && rm -rf /var/lib/apt/lists/*

FROM scratch
COPY --from=get /bin/busybox /bin/busybox
RUN ["/bin/busybox", "sh", "-c", "/bin/busybox --install -s /bin && mkdir -p /tmp /etc /root /home && chmod 1777 /tmp && printf 'root:x:0:0:root:/root:/bin/sh\\nnobody:x:65534:65534:nobody:/home:/bin/false\\n' > /etc/passwd && printf 'root:x:0:\\nnobody:x:65534:\\n' > /etc/group"]
ENV PATH=/bin
CMD ["sh"]
