#!/bin/sh
# Assemble a distroless-style root filesystem from Debian packages installed in a build stage:
# the files of the named packages and of every package they depend on, plus the few files a
# process expects in /etc (users root, nobody and nonroot 65532, groups, nsswitch.conf, the CA
# bundle, os-release, ld.so.cache), an empty /tmp and the homes. No shell, no package manager,
# no coreutils: nothing the named packages do not need to run.
#
#   runtime-rootfs.sh OUT PACKAGE...
#
# Dependencies that only dpkg's own bookkeeping needs (readline-common asks for dpkg or
# install-info, for its info page) are not followed; if a shell or a package manager still
# lands in OUT, the build stops here rather than ship it.
set -eu
out=$1
shift
skip=" dpkg install-info debconf tar perl-base dash bash coreutils libc-bin base-files "

installed() {
    dpkg-query -W -f '${db:Status-Status}' "$1" 2>/dev/null | grep -qx installed
}

# The dependency closure, breadth first: for an alternative (a | b) the first installed one.
todo="$*"
seen=" "
while [ -n "$todo" ]; do
    set -- $todo
    pkg=$1
    shift
    todo="$*"
    case "$seen$skip" in *" $pkg "*) continue ;; esac
    installed "$pkg" || { echo "runtime-rootfs: $pkg is not installed" >&2; exit 1; }
    seen="$seen$pkg "
    deps=$(dpkg-query -W -f '${Pre-Depends},${Depends}' "$pkg" \
        | tr ',' '\n' | sed -e 's/([^)]*)//g' -e 's/:[a-z0-9]*//g')
    for group in $(printf '%s\n' "$deps" | tr -d ' ' | grep -v '^$'); do
        for alt in $(printf '%s' "$group" | tr '|' ' '); do
            if installed "$alt"; then todo="$todo $alt"; break; fi
        done
    done
done
echo "runtime-rootfs: packages:$seen"

# Usr-merged like Debian 12: /bin, /lib, /lib64 and /sbin are links into /usr.
mkdir -p "$out/usr/bin" "$out/usr/lib" "$out/usr/lib64" "$out/usr/sbin" \
    "$out/etc/ssl/certs" "$out/var/lib/dpkg/status.d" "$out/tmp" "$out/root" "$out/home/nonroot"
for d in bin lib lib64 sbin; do ln -s "usr/$d" "$out/$d"; done

# Every file and symlink the packages own (directories follow), without docs beyond copyright.
for pkg in $seen; do
    dpkg-query -L "$pkg" | while read -r path; do
        [ -d "$path" ] && [ ! -L "$path" ] && continue
        [ -e "$path" ] || [ -L "$path" ] || continue
        case "$path" in
        /usr/share/doc/*/copyright) ;;
        /usr/share/doc/* | /usr/share/man/* | /usr/share/info/* | /usr/share/lintian/*) continue ;;
        /usr/share/bug/* | /usr/share/locale/*) continue ;;
        esac
        printf '%s\n' "${path#/}"
    done
    # The package's record, where distroless keeps it (scanners read status.d).
    dpkg-query -s "$pkg" >"$out/var/lib/dpkg/status.d/$pkg"
done | tar -C / --no-recursion -T - -cf - | tar -C "$out" --keep-directory-symlink -xpf -

# Byte-compiled modules the packages' install scripts made (python's stdlib): kept, so a
# nonroot process that cannot write them does not recompile on every start.
for dir in "$out"/usr/lib/python3*; do
    [ -d "$dir" ] || continue
    (cd / && find "${dir#"$out"/}" -name __pycache__ -type d) \
        | tar -C / -T - -cf - | tar -C "$out" -xpf -
done

cat >"$out/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin
EOF
cat >"$out/etc/group" <<'EOF'
root:x:0:
tty:x:5:
staff:x:50:
nogroup:x:65534:
nonroot:x:65532:
EOF
printf 'hosts: files dns\nnetworks: files\npasswd: files\ngroup: files\n' >"$out/etc/nsswitch.conf"
cp /etc/ssl/certs/ca-certificates.crt "$out/etc/ssl/certs/"
cp -L /etc/os-release "$out/etc/os-release"
cp /etc/debian_version "$out/etc/debian_version"
printf 'include /etc/ld.so.conf.d/*.conf\n' >"$out/etc/ld.so.conf"
ldconfig -r "$out"
chmod 1777 "$out/tmp"
chmod 700 "$out/root" "$out/home/nonroot"
chown 65532:65532 "$out/home/nonroot"

for tool in sh bash dash busybox apt apt-get dpkg; do
    for dir in usr/bin usr/sbin usr/local/bin; do
        if [ -e "$out/$dir/$tool" ]; then
            echo "runtime-rootfs: /$dir/$tool would ship: not distroless" >&2
            exit 1
        fi
    done
done
