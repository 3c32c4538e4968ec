"""Push and pull timing through a registry, with the bytes each really moved.

One trial of an image: the registry is emptied (cold) — or made to hold exactly what the push of
a sibling image that shares its base layers left there (warm: the state kept after the sibling's
last cold trial, restored; pushed again only when none was kept) — then the image is pushed
(timed), removed from the engine, and pulled back (timed); a warm trial is run once per image
(its bytes repeat exactly). Every image's cold trials come before the warm ones, and stop early
once the ones left could not move any of its timed medians by more than 5 %
(:mod:`kit.util.settle`); once its pushes alone have settled, the trials left pull what the
registry holds from its last push without pushing again (:mod:`kit.measure.transfer.trials`):
trials are spent where the spread needs them.
The user's image always comes back with the same id and tags, on every path. Removing it is
``docker rmi``: its classic-builder step images go with it unless another image uses them (while
they hold the image's layers the pull would download nothing).

What the byte counts mean:

- ``pushed_bytes``: Σ sizes, from the registry's manifest, of the blobs (config + compressed
  layers, and on the containerd image store the attestation manifest's blobs BuildKit adds to
  the image's index: they are pushed too) the registry did not hold before the push. With the
  kit's own registry that is read from its storage directory, whatever repository a blob was
  stored under (a blob the engine mounts from a sibling's repository moves no bytes). With an
  external registry the storage is not visible, so the engine's own per-layer report is used
  instead ("Pushed" vs "Layer already exists" / "Mounted from": keyed by the diff id on the
  classic store, by the blob digest on the containerd store), and the config and attestation
  blobs are always counted.
- ``deploy_s`` (with a ``ready`` hook, cold trials): the pull, then create + start + ready of
  the pulled image on the same engine — the deploy onto a host that already has the base.
- ``pulled_bytes``: Σ manifest sizes of the layers the engine reported downloading, plus the
  config. Layers another local image still uses (the base image's, typically) stay on the engine
  when the image is removed, so they are "Already exists" and not counted: this is the pull a
  host that already runs the base would do, not a pull onto an empty host.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from kit.engine import Engine, ImageInfo
from kit.engine.leftovers import note
from kit.errors import EngineGoneError, KitError, RegistryError
from kit.host.manifest import Manifest
from kit.host.registry import Registry
from kit.measure.capacity import common_prefix
from kit.measure.transfer.moved import pushed_bytes_from_events, pushed_bytes_from_storage
from kit.measure.transfer.pull import TAG, RegistryImage, timed_pull
from kit.measure.transfer.trials import failed_sample, push_settled, skipped_sample, trials_settled
from kit.model.samples import DistributionSample, Mode

#: Told each pushed image's diff ids and the manifest the registry stored (its real sizes).
PushHook = Callable[[Sequence[str], Manifest], None]
#: Starts the pulled image (its reference) and returns the seconds until it was ready.
ReadyHook = Callable[[str, str], float]


def pick_siblings(chains: Mapping[str, Sequence[str]]) -> dict[str, str | None]:
    """For each variant, the other variant sharing the most base layers (None: shares none)."""
    picked: dict[str, str | None] = {}
    for name, chain in chains.items():
        best, best_len = None, 0
        for other, other_chain in chains.items():
            shared = common_prefix(chain, other_chain)
            if other != name and shared > best_len:
                best, best_len = other, shared
        picked[name] = best
    return picked


class _Trial:
    """One image's push and pull, restoring its tags however it ends."""

    def __init__(
        self,
        engine: Engine,
        registry: Registry,
        variant: str,
        image: ImageInfo,
        on_pushed: PushHook | None = None,
        ready: ReadyHook | None = None,
    ):
        self.on_pushed = on_pushed
        self.ready = ready
        self.engine = engine
        self.registry = registry
        self.variant = variant
        self.image_id = image.id
        self.tags = image.repo_tags
        self.diff_ids = image.layers
        self.handle = RegistryImage(registry, variant, image.id)
        self.path = self.handle.path
        self.remote = self.handle.remote

    def _alive(self, event: Mapping[str, Any]) -> None:
        self.handle.alive(event)

    def push_only(self) -> None:
        """Push untimed (the warm case's sibling), then drop the registry reference again."""
        try:
            self.engine.images.tag(self.image_id, self.remote, TAG)
            self.engine.transfers.push(self.remote, TAG, on_event=self._alive)
        finally:
            self._drop_remote_refs()

    def run(self, trial: int, mode: Mode, *, push: bool = True) -> DistributionSample:
        """One trial; without ``push``, the pull (and start) of the image the registry holds
        from this image's last push, which is checked to be this very image."""
        before = self.registry.blob_digests() if push else None
        push_s: float | None = None
        push_bytes: int | None = None
        self.engine.images.tag(self.image_id, self.remote, TAG)
        try:
            if push:
                started = time.perf_counter()
                pushed = self.engine.transfers.push(self.remote, TAG, on_event=self._alive)
                push_s = time.perf_counter() - started
            manifest = self.registry.manifest(self.path, TAG)
            if not manifest.same_image(self.image_id, self.diff_ids):
                raise RegistryError(
                    f"{self.variant}: the registry's {self.remote}:{TAG} is not image "
                    f"{self.image_id} (it holds {manifest.tag_digest}, config "
                    f"{manifest.config.digest})"
                )
            if push:
                if self.on_pushed is not None:
                    self.on_pushed(self.diff_ids, manifest)
                push_bytes = (
                    pushed_bytes_from_storage(manifest, before)
                    if before is not None
                    else pushed_bytes_from_events(manifest, self.diff_ids, pushed)
                )
            self._remove_image()
            had_config = self.engine.images.inspect(self.image_id) is not None
            pulled = timed_pull(
                self.engine, self.handle, manifest, had_config=had_config, on_event=self._alive
            )
            pull_s, pull_bytes = pulled.seconds, pulled.bytes
            deploy_s = None
            if self.ready is not None and mode == "cold":
                # The deploy onto this host: the pulled image started, ready by the app's probe.
                deploy_s = pull_s + self.ready(self.variant, f"{self.remote}:{TAG}")
        finally:
            self.restore()
        moved = (push_s, pull_s, push_bytes, pull_bytes)
        return DistributionSample(self.variant, trial, mode, *moved, "ok", None, deploy_s=deploy_s)

    def _remove_image(self) -> None:
        """Drop references without pruning until one is left, then remove that one as ``docker
        rmi`` does, so the image's own step images go with it. (Untagging a repository's last
        tag drops its digest references too, hence the re-inspection each round.) The image is
        kept when another image is built on it or a container uses it: then the pull moves
        nothing, and its bytes say so."""
        for _ in range(64):
            image = self.engine.images.inspect(self.image_id)
            if image is None:
                return
            tags = list(image.repo_tags)
            digests = list(image.repo_digests)
            last_repo = tags[0].rpartition(":")[0] if tags else None
            others = [d for d in digests if d.partition("@")[0] != last_repo]
            if len(tags) > 1:
                step = self.engine.images.untag(tags[0])
            elif others and (tags or len(others) > 1):
                step = self.engine.images.untag(others[0])
            else:
                self.engine.images.remove(tags[0] if tags else (digests or [self.image_id])[0])
                return
            if not step:
                return

    def restore(self) -> None:
        """Put the image and its tags back; pull it again if the trial ended between remove and
        pull (the registry still holds it: only an explicit ``empty()`` wipes storage)."""
        if self.engine.images.inspect(self.image_id) is None:
            try:
                if self.registry.owned and not self.registry.running():
                    self.registry.restart()
                self.engine.transfers.pull(self.remote, TAG)
            except KitError as exc:
                raise RegistryError(
                    f"{self.variant}: image {self.image_id} was removed for the pull and could "
                    f"not be pulled back: {exc.message}",
                    hint="rebuild it (kit measure)",
                ) from exc
        for ref in self.tags:
            repository, _, tag = ref.rpartition(":")
            self.engine.images.tag(self.image_id, repository, tag)
        self._drop_remote_refs()

    def _remote_refs(self) -> list[str]:
        image = self.engine.images.inspect(self.image_id)
        refs = [] if image is None else [*image.repo_tags, *image.repo_digests]
        return [ref for ref in refs if ref.startswith(f"{self.registry.host}/")]

    def _drop_remote_refs(self) -> None:
        for ref in self._remote_refs():
            self.engine.images.untag(ref)


def push_untimed(engine: Engine, registry: Registry, variant: str, image: ImageInfo) -> None:
    """Push ``image`` into ``registry`` as ``variant`` (untimed); its tags stay as they were."""
    with engine.leftovers.journal():
        note("refs", f"{image.id}|{registry.host}/")
        _Trial(engine, registry, variant, image).push_only()


def measure_distribution(
    engine: Engine,
    images: Sequence[tuple[str, str]],
    trials: int,
    registry: Registry,
    on_pushed: PushHook | None = None,
    ready: ReadyHook | None = None,
    warm_trials: int | None = None,
) -> tuple[DistributionSample, ...]:
    """Cold and warm push/pull trials of each ``(variant, image_ref)``, serially (warm ones:
    ``warm_trials``, default all); with ``ready``, each cold pull is followed by a start of the
    pulled image (``deploy_s``). Cold: the registry is emptied first. Warm: the registry holds
    what the push of the image sharing the most base layers left (its kept state, or that
    image pushed untimed again); one that shares no layer with any other gets one ``skipped``
    warm row. The first failure of an
    image ends that image's trials with a ``failed`` row; the other images go on. An external
    registry cannot be emptied, so there "cold" only means the trial's own image was not pushed
    by the kit before.
    """
    found: dict[str, ImageInfo] = {}
    samples: list[DistributionSample] = []
    for variant, ref in images:
        inspected = engine.images.inspect(ref)
        if inspected is None:
            samples.append(failed_sample(variant, 0, "cold", f"image {ref} is not on the engine"))
        else:
            found[variant] = inspected
    chains = {v: i.layers for v, i in found.items()}
    siblings = pick_siblings(chains)
    trial_of = {v: _Trial(engine, registry, v, i, on_pushed, ready) for v, i in found.items()}
    ran: list[DistributionSample] = []  # in run order: an external registry is never emptied
    cold_ok: set[str] = set()
    # Every image's cold trials first, the registry kept as each one's last left it (that image
    # alone): a warm trial starts from its sibling's state, the blobs the engine already pushed.
    for variant, trial in trial_of.items():
        ran += [] if siblings[variant] is not None else [_unshared(variant)]
        cold = _image_trials(trial, None, range(trials))
        ran += cold
        if cold and cold[-1].status == "ok":
            cold_ok.add(variant)
        registry.keep(variant if variant in cold_ok else None)
    for variant, trial in trial_of.items():
        sibling = siblings[variant]
        if sibling is None or variant not in cold_ok:
            continue  # nothing to be warm with, or its first failure ended its trials
        warm = range(min(trials, warm_trials or trials))
        ran += _image_trials(trial, trial_of[sibling], warm)
        registry.keep()  # for the fresh host, which pulls every image from it
    return (*samples, *ran)


def _unshared(variant: str) -> DistributionSample:
    return skipped_sample(variant, "no other image shares a layer", "warm")


def _image_trials(image: _Trial, sibling: _Trial | None, trials: range) -> list[DistributionSample]:
    """One image's cold trials (no ``sibling``) or warm ones (the registry first holding what
    the sibling's push left, or pushed with it again when nothing was kept of it); a failure
    ends them."""
    mode: Mode = "cold" if sibling is None else "warm"
    samples: list[DistributionSample] = []
    # The registry's references these trials give both images: named in a journal, so that a
    # run after an engine that died mid-push can drop them (kit.engine.leftovers).
    with image.engine.leftovers.journal():
        for one in (image, sibling):
            if one is not None:
                note("refs", f"{one.image_id}|{one.registry.host}/")
        for trial in trials:
            if sibling is None and trials_settled(samples, len(trials)):
                break  # the trials left could not move any median by more than 5 %
            # Pushes settled, pulls not: pull again what the registry holds from the last push.
            push = sibling is not None or not push_settled(samples, len(trials))
            try:
                if sibling is not None and image.registry.has_kept(sibling.variant):
                    image.registry.restore_kept(sibling.variant)
                elif push:
                    if image.registry.owned:
                        image.registry.empty()
                    if sibling is not None:
                        sibling.push_only()
                samples.append(image.run(trial, mode, push=push))
            except EngineGoneError:
                raise
            except KitError as exc:
                samples.append(failed_sample(image.variant, trial, mode, str(exc)))
                return samples
    return samples
