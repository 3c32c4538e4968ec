"""kit.measure.floor.trace on a real engine: traced floors of tiny images, and attack surfaces."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest
from prereq import need_image, need_root

from kit.engine import RUN_LABEL, Engine
from kit.errors import ContainerExitError
from kit.inputs.app import load_app
from kit.inputs.experiment import Probe
from kit.measure.floor.fatrace import Procs
from kit.measure.floor.trace import Floor, measure_floor, x_floor
from kit.measure.surface import AttackSurface, attack_surface

pytestmark = pytest.mark.engine

#: The floor is traced with fanotify; without root measure_floor returns no floor, with a reason.
needs_root = pytest.mark.usefixtures("as_root")
REPO = "kitexp/floor-test"  # not eng-*: the engine suite untags those after each test
ROOT = Path(__file__).resolve().parents[2]
DEBIAN = "kitbase/debian:12"
SLIM = "kitbase/debian:12-slim"
FULL = "kitbase/node:18-full"
NODE_APP = "kitexp/floor-test:node-server"
# Static busybox alone on scratch: the whole image is the one file it runs.
DOCKERFILES = {
    "static": """FROM kitbase/busybox:1 AS src
FROM scratch
COPY --from=src /bin/busybox /bin/busybox
CMD ["/bin/busybox", "true"]
""",
    # A static binary that is no shell (Debian's ldconfig is static-pie).
    "static-app": """FROM kitbase/debian:12-slim AS src
FROM scratch
COPY --from=src /usr/sbin/ldconfig /app
CMD ["/app", "--version"]
""",
    "busybox-cat": """FROM kitbase/busybox:1
CMD ["sh", "-c", "cat /etc/hostname"]
""",
    # dash forks ls (a child of the container's init) and runs cat; both are dynamic.
    "dynamic": """FROM kitbase/debian:12-slim
CMD ["sh", "-c", "ls / >/dev/null; cat /etc/os-release"]
""",
    "fails": """FROM kitbase/busybox:1
CMD ["sh", "-c", "exit 3"]
""",
    # Two containers of this image: the traced one reads /data/mine, a bystander /data/other.
    "two-readers": """FROM kitbase/busybox:1
RUN mkdir /data && echo mine > /data/mine && head -c 300000 /dev/zero > /data/other
CMD ["sh", "-c", "cat /data/mine"]
""",
    # A server that forks: a subshell reads /data/worker, then execs httpd, which forks a child
    # per connection to read /www/index.html. The probe's 200 needs all of it; /data/never is
    # read by nobody.
    "forking": """FROM kitbase/busybox:1
RUN mkdir /data /www && echo w > /data/worker && echo n > /data/never \\
 && echo hello > /www/index.html
CMD ["sh", "-c", "(cat /data/worker >/dev/null; exec httpd -f -p 127.0.0.1:$PORT -h /www) & wait"]
""",
}


@pytest.fixture(scope="module")
def images(
    engine: Engine, busybox: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, str]]:
    need_image(engine, SLIM)
    context = tmp_path_factory.mktemp("floor")
    before = engine.images.ids()
    tags: dict[str, str] = {}
    try:
        for name, text in DOCKERFILES.items():
            (context / f"Dockerfile.{name}").write_text(text)
            tag = f"{REPO}:{name}"
            built = engine.builds.build(
                str(context), f"Dockerfile.{name}", tag=tag, buildargs={}, labels={}, nocache=False
            )
            assert built.image_id, built.error
            tags[name] = tag
        yield tags
    finally:
        for tag in tags.values():
            engine.images.remove(tag)
        engine.images.remove_dangling_since(before)


@pytest.fixture()
def as_root() -> None:
    need_root("the floor is traced with fanotify")


def _size(engine: Engine, ref: str) -> int:
    return int(engine.api.inspect_image(ref)["Size"])


def _user_files(engine: Engine, ref: str) -> set[str]:
    """The user database files the image holds: runc's init reads them inside the container to
    resolve its user, before it execs the command, so they are part of what a start reads."""
    container = engine.api.create_container(ref, command=["true"], network_disabled=True)["Id"]
    try:
        found = set()
        for path in ("/etc/passwd", "/etc/group"):
            try:
                engine.api.get_archive(container, path)
            except docker.errors.NotFound:
                continue
            found.add(path)
        return found
    finally:
        engine.api.remove_container(container, force=True)


def _traced(result: Floor) -> dict[str, int]:
    assert result.reason is None, result.reason
    # Attributed to the container's own processes, never the fallback that counts every reader.
    assert result.method == "fatrace+proc-connector"
    assert result.floor_bytes is not None and result.floor_bytes > 0
    assert result.floor_bytes == sum(f.bytes for f in result.files)
    assert len({f.path for f in result.files}) == len(result.files)
    return {f.path: f.bytes for f in result.files}


def _fatrace_children() -> list[int]:
    """fatrace processes this test process started and did not reap."""
    mine = str(os.getpid())
    found = []
    for proc in Path("/proc").iterdir():
        try:
            stat = (proc / "stat").read_text()
        except OSError:
            continue
        if "(fatrace)" in stat and stat.rsplit(")", 1)[1].split()[1] == mine:
            found.append(int(proc.name))
    return found


@needs_root
@pytest.mark.usefixtures("no_leaks")
def test_static_binary_on_scratch_is_its_own_floor(engine: Engine, images: dict[str, str]) -> None:
    result = measure_floor(engine, images["static"], Probe(kind="exit"))
    files = _traced(result)
    assert set(files) == {"/bin/busybox"}
    ratio = x_floor(_size(engine, images["static"]), result)
    assert ratio == pytest.approx(1.0, abs=0.05)
    assert not _fatrace_children()


@needs_root
@pytest.mark.usefixtures("no_leaks")
def test_static_pie_binary_is_its_own_floor(engine: Engine, images: dict[str, str]) -> None:
    result = measure_floor(engine, images["static-app"], Probe(kind="exit"))
    assert set(_traced(result)) == {"/app"}
    assert x_floor(_size(engine, images["static-app"]), result) == pytest.approx(1.0, abs=0.05)


@needs_root
@pytest.mark.usefixtures("no_leaks")
def test_busybox_shell_reading_a_bind_mount(engine: Engine, images: dict[str, str]) -> None:
    result = measure_floor(engine, images["busybox-cat"], Probe(kind="exit"))
    files = _traced(result)
    # /etc/hostname is the engine's bind mount, not a file of the image; sh and cat are busybox.
    assert "/bin/busybox" in files
    assert "/etc/hostname" not in files
    assert x_floor(_size(engine, images["busybox-cat"]), result) == pytest.approx(1.0, abs=0.05)


@needs_root
@pytest.mark.usefixtures("no_leaks")
def test_dynamic_binaries_bring_loader_and_libc(engine: Engine, images: dict[str, str]) -> None:
    result = measure_floor(engine, images["dynamic"], Probe(kind="exit"))
    files = _traced(result)
    libs = "/usr/lib/x86_64-linux-gnu"
    for path in (
        "/usr/bin/dash",  # the init's command (sh → dash is resolved)
        "/usr/bin/ls",  # a forked child
        "/usr/bin/cat",
        f"{libs}/ld-linux-x86-64.so.2",
        f"{libs}/libc.so.6",
        f"{libs}/libselinux.so.1",  # ls's DT_NEEDED
        "/usr/lib/os-release",  # /etc/os-release is a symlink to it
    ):
        assert path in files, f"{path} not in {sorted(files)}"
    assert files["/usr/bin/ls"] > 100_000
    size = _size(engine, images["dynamic"])
    ratio = x_floor(size, result)
    assert ratio is not None and ratio > 10  # a 74 MB slim base for a few MB of use


@needs_root
@pytest.mark.usefixtures("no_leaks")
def test_failing_probe_raises_and_cleans_up(engine: Engine, images: dict[str, str]) -> None:
    with pytest.raises(ContainerExitError):
        measure_floor(engine, images["fails"], Probe(kind="exit"))
    assert not _fatrace_children()


@needs_root
@pytest.mark.usefixtures("no_leaks")
def test_another_container_of_the_same_image_is_not_counted(
    engine: Engine, images: dict[str, str]
) -> None:
    """A bystander container of the same image reads the image's /data/other the whole time;
    only the traced container's processes count, so the floor is busybox and /data/mine."""
    bystander = engine.containers.create(
        images["two-readers"],
        labels={RUN_LABEL: "floor-test-bystander"},
        environment={},
        network_mode="none",
        command=["sh", "-c", "while true; do cat /data/other >/dev/null; sleep 0.05; done"],
    )
    try:
        engine.containers.start(bystander)
        result = measure_floor(engine, images["two-readers"], Probe(kind="exit"))
    finally:
        engine.containers.remove(bystander)
    files = _traced(result)
    expected = {"/bin/busybox", "/data/mine"} | _user_files(engine, images["two-readers"])
    assert set(files) == expected


@needs_root
@pytest.mark.usefixtures("no_leaks")
def test_a_server_that_forks_workers_counts_what_they_read(
    engine: Engine, images: dict[str, str]
) -> None:
    probe = Probe(kind="http", path="/", timeout_s=30)
    files = _traced(measure_floor(engine, images["forking"], probe))
    own = {"/bin/busybox", "/data/worker", "/www/index.html"}
    assert set(files) == own | _user_files(engine, images["forking"])
    assert (files["/data/worker"], files["/www/index.html"]) == (len("w\n"), len("hello\n"))


class _LosingProcs(Procs):
    """The process connector as it is when its socket buffer overflowed (ENOBUFS)."""

    def stop(self) -> None:
        super().stop()
        self.lost = True


@needs_root
@pytest.mark.usefixtures("no_leaks")
def test_lost_process_events_make_the_floor_unknown(
    engine: Engine, images: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without every fork the container's processes cannot be told from the host's: the floor
    is unknown, with the reason, rather than a sum over every process that read the layers."""
    monkeypatch.setattr("kit.measure.floor.trace.Procs", _LosingProcs)
    result = measure_floor(engine, images["two-readers"], Probe(kind="exit"))
    assert result.floor_bytes is None and result.files == ()
    assert result.reason is not None and "process events were lost" in result.reason
    assert not _fatrace_children()


@pytest.fixture(scope="module")
def node_app(engine: Engine, busybox: str) -> Iterator[str]:
    """The repo's node-server multistage variant, built here: on a fresh engine no experiment
    has made it yet, and a skipped test is no pass."""
    app = load_app(ROOT / "dockerfiles" / "node-server")
    variant = next(v for v in app.variants if v.name == "multistage").for_profile("local")
    args = app.build_args(variant, "local")
    for ref in app.bases(variant, "local"):
        need_image(engine, ref)
    before = engine.images.ids()
    built = engine.builds.build(
        str(app.directory),
        variant.dockerfile.name,
        tag=NODE_APP,
        buildargs=args,
        labels={},
        nocache=False,
    )
    try:
        assert built.image_id, built.error
        yield NODE_APP
    finally:
        engine.images.remove(NODE_APP, force=True)
        engine.images.remove_dangling_since(before)


@needs_root
@pytest.mark.usefixtures("no_leaks")
def test_node_server_floor_is_the_runtime_closure(engine: Engine, node_app: str) -> None:
    result = measure_floor(engine, node_app, Probe(kind="http", path="/", timeout_s=60))
    files = _traced(result)
    assert "/usr/bin/node" in files
    assert "/usr/lib/x86_64-linux-gnu/libnode.so.108" in files
    assert any(path.startswith("/app/") for path in files)
    ratio = x_floor(_size(engine, node_app), result)
    assert ratio is not None and ratio > 1


# -- attack surface -----------------------------------------------------------------------------
def _surface(engine: Engine, ref: str) -> AttackSurface:
    need_image(engine, ref)
    return attack_surface(engine, ref)


@pytest.mark.usefixtures("no_leaks")
def test_debian_surface(engine: Engine) -> None:
    surface = _surface(engine, DEBIAN)
    assert surface.package_db == "dpkg"
    assert surface.packages is not None and surface.packages > 50
    assert surface.has_shell and "/usr/bin/bash" in surface.found
    assert surface.has_package_manager and "/usr/bin/apt-get" in surface.found
    assert not surface.has_compiler
    assert not surface.has_pip


@pytest.mark.usefixtures("no_leaks")
def test_full_node_base_has_a_compiler(engine: Engine) -> None:
    surface = _surface(engine, FULL)
    assert surface.has_compiler
    assert {"/usr/bin/gcc", "/usr/bin/gcc-12", "/usr/bin/cc"} <= set(surface.found)
    debian = _surface(engine, DEBIAN)
    assert surface.packages is not None and debian.packages is not None
    assert surface.packages > debian.packages


@pytest.mark.usefixtures("no_leaks")
def test_busybox_surface(engine: Engine, busybox: str) -> None:
    surface = _surface(engine, busybox)
    assert surface.has_shell and "/bin/sh" in surface.found
    assert surface.packages is None and surface.package_db is None
    # Busybox's dpkg and rpm applets install packages too (no database to count, though).
    assert surface.has_package_manager and "/bin/dpkg" in surface.found
    assert not surface.has_compiler and not surface.has_pip


@pytest.mark.usefixtures("no_leaks")
def test_scratch_static_binary_surface(engine: Engine, images: dict[str, str]) -> None:
    surface = _surface(engine, images["static-app"])
    assert surface == AttackSurface(
        packages=None,
        package_db=None,
        has_shell=False,
        has_package_manager=False,
        has_pip=False,
        has_compiler=False,
        found=(),
    )


@pytest.mark.usefixtures("no_leaks")
def test_busybox_binary_alone_counts_as_a_shell(engine: Engine, images: dict[str, str]) -> None:
    surface = _surface(engine, images["static"])
    assert surface.has_shell and surface.found == ("/bin/busybox",)
    assert surface.packages is None and not surface.has_package_manager


@pytest.mark.usefixtures("no_leaks")
def test_engine_reads_an_unstarted_containers_files(engine: Engine) -> None:
    need_image(engine, SLIM)
    container = engine.containers.create_idle(SLIM, labels={RUN_LABEL: "floor-test-files"})
    try:
        assert engine.api.inspect_container(container)["State"]["Status"] == "created"
        assert engine.files.path_exists(container, "/bin/sh")  # /bin → usr/bin, sh → dash
        assert not engine.files.path_exists(container, "/bin/no-such-tool")
        stat = engine.files.stat_path(container, "/bin/sh")
        assert stat is not None and stat["linkTarget"] == "/usr/bin/dash"
        release = engine.files.read_file(container, "/etc/os-release")  # → ../usr/lib/os-release
        assert release is not None and b"Debian" in release
        assert engine.files.read_file(container, "/usr/bin") is None
        assert engine.files.read_file(container, "/no/such/file") is None
        entries = engine.files.list_dir(container, "/bin")
        assert entries is not None
        assert ("dash", False) in entries and ("sh", True) in entries
        assert all("/" not in name for name, _ in entries)
        assert engine.files.list_dir(container, "/etc/debian_version") is None
        assert engine.files.list_dir(container, "/no/such/folder") is None
    finally:
        engine.containers.remove(container)
