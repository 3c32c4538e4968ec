"""Pull and start on a fresh host: an empty extra engine, as a new cluster node, a CI runner or a
laptop that has never seen the image.

Every variant is pushed once (untimed) from the user's engine into the kit's registry on
127.0.0.1 (which a dockerd treats as an insecure registry by default: plain http, no flag). Then
an extra dockerd (:mod:`kit.host.extra_engine`: its own data root, exec root, pid file and
socket, the kit's flags) is started, and per trial, per variant in turn:

1. the host is emptied: every image removed, and ``docker system df`` must then count no image
   and no layer byte (else the trial fails rather than measuring a warm pull);
2. the image is pulled (timed); ``pulled_bytes`` is Σ manifest sizes of the layers the engine
   reported downloading, plus the config — on an empty host, the whole compressed image;
3. a container of it is created, started and probed ready with the app's probe
   (:func:`kit.measure.start.run_trial`: network ``none``, the app's limits) and removed.

``deploy_s`` = pull + create + start to ready. A variant's trials stop early once the ones left
could not move its medians by more than 5 % (:mod:`kit.util.settle`), as on the user's engine.
With ``fill``, every variant is pulled onto the host (which still holds the last trial's
image, the largest: variants are tried smallest first), and what the engine really uses for
them is read: the layers ``docker system df`` counts, and the bytes its data
root takes on disk (:class:`Fill`).

The extra engine is stopped and its directories removed however this ends (Ctrl-C included).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kit.engine import Engine, ImageInfo
from kit.errors import EngineError, EngineGoneError, KitError, RegistryError, StartError
from kit.host.extra_engine import extra_engine
from kit.host.registry import Registry, slug
from kit.inputs.experiment import DEFAULT_LIMITS, Limits, Probe
from kit.measure.start import time_to_ready
from kit.measure.transfer.pull import TAG, RegistryImage, timed_pull
from kit.measure.transfer.push_pull import push_untimed
from kit.measure.transfer.trials import trials_settled
from kit.model.samples import DistributionSample

SCENARIO = "fresh-host"
#: Labels of the containers started on the fresh host (it is thrown away with them anyway).
LABELS = {"kit.scenario": SCENARIO}


@dataclass(frozen=True)
class Fill:
    """The fresh host holding every measured variant of the app at once."""

    variants: int
    layers_bytes: int  # docker system df: every layer on the engine, counted once
    data_root_bytes: int  # what the engine's data root takes on disk (its metadata included)


@dataclass(frozen=True)
class FreshHost:
    samples: tuple[DistributionSample, ...]
    fill: Fill | None
    #: Why the fill asked for did not come out (the trials before it stand).
    fill_error: str | None = None


def fresh_failed(variant: str, trial: int, error: str) -> DistributionSample:
    return DistributionSample(
        variant, trial, "cold", None, None, None, None, "failed", error, scenario="fresh-host"
    )


def disk_bytes(root: Path) -> int:
    """Bytes ``root`` takes on disk (allocated blocks), each hard-linked file once, like
    ``du -s --block-size=1``; not crossing into other file systems (a container's mounts)."""
    top = root.lstat().st_dev
    seen: set[tuple[int, int]] = set()
    total = 0
    for folder, dirs, files in os.walk(root):
        other: set[str] = set()
        for name in (*dirs, *files):
            try:
                st = os.lstat(os.path.join(folder, name))
            except OSError:
                continue  # gone while walking
            if st.st_dev != top:
                other.add(name)
            elif (st.st_dev, st.st_ino) not in seen:
                seen.add((st.st_dev, st.st_ino))
                total += st.st_blocks * 512
        dirs[:] = [d for d in dirs if d not in other]
    return total + root.lstat().st_blocks * 512


def empty_host(host: Engine) -> None:
    """Remove every image; an error when ``docker system df`` still counts one, or a byte."""
    for image_id in host.images.ids():
        host.images.remove(image_id, force=True)
    usage = host.images.disk_usage()
    if usage.images or usage.layers_size:
        raise EngineError(
            f"the fresh host is not empty after removing every image: {len(usage.images)} "
            f"image(s), {usage.layers_size} bytes of layers left"
        )


class _Pull:
    """One variant as the fresh host pulls it from the registry."""

    def __init__(self, registry: Registry, variant: str, image: ImageInfo) -> None:
        self.handle = RegistryImage(registry, variant, image.id)
        self.variant = variant

    def pull(self, host: Engine) -> tuple[float, int]:
        """Pull onto ``host`` (timed; an empty host had no config); the seconds and the bytes
        downloaded."""
        manifest = self.handle.registry.manifest(self.handle.path, TAG)
        pulled = timed_pull(host, self.handle, manifest, had_config=False, host="the fresh host's")
        return pulled.seconds, pulled.bytes

    def trial(self, host: Engine, trial: int, probe: Probe, limits: Limits) -> DistributionSample:
        empty_host(host)
        pull_s, moved = self.pull(host)
        labels = {**LABELS, "kit.variant": self.variant}
        ready_s = time_to_ready(host, self.handle.ref, probe, labels, limits)
        return DistributionSample(
            self.variant,
            trial,
            "cold",
            None,
            pull_s,
            None,
            moved,
            "ok",
            None,
            scenario="fresh-host",
            deploy_s=pull_s + ready_s,
        )


def _stored(registry: Registry, variant: str, image: ImageInfo) -> bool:
    """Whether the registry holds this very image under the variant's name (its id, whichever
    store the engine keeps, and its diff ids: :meth:`Manifest.same_image`)."""
    try:
        return registry.manifest(slug(variant), TAG).same_image(image.id, image.layers)
    except RegistryError:
        return False


def _fill(host: Engine, pulls: Sequence[_Pull], data_root: Path) -> Fill:
    # The last trial's image is all the host holds (its container went with the trial): the
    # fill starts from it rather than pulling it again; any other state is emptied first.
    held = [one for one in pulls if host.images.inspect(one.handle.ref) is not None]
    if len(held) != 1 or len(host.images.ids()) != 1:
        empty_host(host)
        held = []
    for one in pulls:
        if one not in held:
            one.pull(host)
    usage = host.images.disk_usage()
    return Fill(len(pulls), usage.layers_size, disk_bytes(data_root))


def fill_or_why(
    host: Engine, pulls: Sequence[_Pull], data_root: Path
) -> tuple[Fill | None, str | None]:
    """:func:`_fill`, or why it failed: a pull that breaks or a host that will not empty fails
    the fill alone, not the trials measured before it. A lost engine still stops the step."""
    try:
        return _fill(host, pulls, data_root), None
    except EngineGoneError:
        raise
    except KitError as exc:
        return None, str(exc)


def measure_fresh_host(
    engine: Engine,
    images: Sequence[tuple[str, str]],
    trials: int,
    registry: Registry,
    probe: Probe,
    *,
    limits: Limits = DEFAULT_LIMITS,
    fill: bool = False,
    parent: Path | None = None,
) -> FreshHost:
    """Cold pull + start-to-ready trials of each ``(variant, image_ref)`` on an empty extra
    engine (``parent``: where its directory goes, default the temp dir). A variant's first
    failure ends its trials with a ``failed`` row; an engine that cannot start fails them all."""
    if not registry.owned:
        raise RegistryError(
            "the fresh host pulls from the kit's own registry on 127.0.0.1, not an external one",
            hint="drop --registry, or measure without --fresh-host",
        )
    samples: list[DistributionSample] = []
    found: dict[str, ImageInfo] = {}
    for variant, ref in images:
        inspected = engine.images.inspect(ref)
        if inspected is None:
            samples.append(fresh_failed(variant, 0, f"image {ref} is not on the engine"))
        else:
            found[variant] = inspected
    # What the base-present trials pushed is kept: each image's push is not made again.
    registry.restore_kept()
    for variant, inspected in found.items():
        if not _stored(registry, variant, inspected):
            push_untimed(engine, registry, variant, inspected)
    # Smallest first: the largest is then the last one pulled, and the fill keeps it.
    pulls = [_Pull(registry, v, i) for v, i in sorted(found.items(), key=lambda f: f[1].size)]
    failed: set[str] = set()
    measured: dict[str, list[DistributionSample]] = {p.variant: [] for p in pulls}
    with extra_engine(parent=parent) as extra:
        host = extra.connect()
        try:
            for trial in range(trials):
                for one in pulls:
                    if one.variant in failed or trials_settled(measured[one.variant], trials):
                        continue
                    try:
                        measured[one.variant].append(one.trial(host, trial, probe, limits))
                    except (StartError, RegistryError) as exc:
                        measured[one.variant].append(fresh_failed(one.variant, trial, str(exc)))
                        failed.add(one.variant)
            done, why = (
                fill_or_why(host, pulls, extra.root / "data") if fill and pulls else (None, None)
            )
        finally:
            host.close()
    return FreshHost((*samples, *(s for p in pulls for s in measured[p.variant])), done, why)


def measure_fresh_or_fail(
    engine: Engine,
    images: Sequence[tuple[str, str]],
    trials: int,
    registry: Registry,
    probe: Probe,
    **kwargs: Any,
) -> FreshHost:
    """:func:`measure_fresh_host`, with a failure of the host itself (not root, dockerd would
    not start, the registry or the fresh engine gone) as one ``failed`` row per variant."""
    try:
        return measure_fresh_host(engine, images, trials, registry, probe, **kwargs)
    except KitError as exc:
        if isinstance(exc, EngineGoneError):
            # The fresh engine's loss fails this step; the main engine's stops the run (asking
            # it raises EngineGoneError again when it is the one gone).
            engine.images.ids()
        return FreshHost(tuple(fresh_failed(v, 0, f"fresh host: {exc}") for v, _ in images), None)
