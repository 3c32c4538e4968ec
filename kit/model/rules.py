"""The hadolint rules whose cost is image size, and where in an image that cost lives."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

SIZE_RULES: Mapping[str, str] = MappingProxyType(
    {
        "DL3009": "apt lists not deleted: /var/lib/apt/lists stays in the layer",
        "DL3015": "no --no-install-recommends: apt installs recommended packages nobody asked for",
        "DL3019": "apk add without --no-cache: the package index stays in /var/cache/apk",
        "DL3042": "pip install without --no-cache-dir: downloaded wheels stay in ~/.cache/pip",
        "DL3059": "consecutive RUNs: one layer each, and a later rm cannot shrink an earlier layer",
        "DL3060": "no yarn cache clean after yarn install: every package tarball stays cached",
        "DL3032": "no yum clean all: repo metadata and packages stay in /var/cache/yum",
        "DL3036": "no zypper clean: repo metadata and packages stay in /var/cache/zypp",
        "DL3040": "no dnf clean all: repo metadata and packages stay in /var/cache/dnf",
        "DL3067": "COPY --from=<stage> / /: the stage's whole filesystem, build tools included",
    }
)

# Where each rule's cost lives, as layer-tar paths (no leading slash) for the tool's default
# config run as root. () where the cost is not a set of files: recommended packages spread over
# the tree (DL3015), an extra layer (DL3059), a copied tree (DL3067).
SIZE_RULE_PATHS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "DL3009": ("var/lib/apt/lists/",),
        "DL3015": (),
        "DL3019": ("var/cache/apk/",),
        "DL3042": ("root/.cache/pip/",),
        "DL3059": (),
        # yarn 1 run by root caches under /usr/local/share, not $HOME (its user-home-dir.js);
        # root/.cache/yarn is hadolint's suggested cache mount; yarn 2+ keeps ~/.yarn/berry/cache.
        "DL3060": ("usr/local/share/.cache/yarn/", "root/.cache/yarn/", "root/.yarn/berry/cache/"),
        # On EL8 and later, yum is dnf and caches where dnf does.
        "DL3032": ("var/cache/yum/", "var/cache/dnf/"),
        "DL3036": ("var/cache/zypp/",),
        "DL3040": ("var/cache/dnf/", "var/cache/libdnf5/"),
        "DL3067": (),
    }
)

#: Every path prefix where a size-related rule's cost lives, measured in every image.
RULE_PREFIXES = tuple(sorted({p for prefixes in SIZE_RULE_PATHS.values() for p in prefixes}))
