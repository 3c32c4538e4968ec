# kitbase/debian:12-slim: the minbase root without docs, man pages, locales or apt lists.
# Deleting files in a layer on top would not shrink anything (the old layer keeps the bytes),
# so the trimmed tree is copied onto scratch: one layer holding only what is left.
ARG DEBIAN=kitbase/debian:12
FROM ${DEBIAN} AS trim
# The same dpkg excludes Debian's official slim images use, so later installs stay slim too.
RUN printf '%s\n' \
      'path-exclude /usr/share/doc/*' 'path-include /usr/share/doc/*/copyright' \
      'path-exclude /usr/share/man/*' 'path-exclude /usr/share/groff/*' \
      'path-exclude /usr/share/info/*' 'path-exclude /usr/share/lintian/*' \
      'path-exclude /usr/share/linda/*' 'path-exclude /usr/share/locale/*' \
      'path-include /usr/share/locale/locale.alias' \
      > /etc/dpkg/dpkg.cfg.d/docker-slim \
 && printf '%s\n' 'DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/*.bin || true"; };' \
      'APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/*.bin || true"; };' \
      > /etc/apt/apt.conf.d/docker-clean \
 && find /usr/share/doc -mindepth 1 -not -name copyright -not -type d -delete \
 && rm -rf /usr/share/man/* /usr/share/info/* /usr/share/lintian/* /usr/share/groff/* \
 && find /usr/share/locale -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} + \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/cache/debconf/*-old /var/log/*.log

FROM scratch
COPY --from=trim / /
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
CMD ["bash"]
