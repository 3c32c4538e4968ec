"""kit.engine.leftovers without an engine: who owns a container, the journal of a piece of work,
and the sweep of what dead kit processes (or a dead engine) left, over the recorded-JSON fake."""

from __future__ import annotations

from pathlib import Path

import pytest
from fake_api import BUSYBOX, FakeAPIClient

from kit.engine import Engine
from kit.engine.leftovers import OWNER_LABEL, note, owner, owner_gone, watch_build
from kit.errors import EngineGoneError


@pytest.fixture(autouse=True)
def _state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KIT_STATE_DIR", str(tmp_path / "state"))
    return tmp_path / "state"


def fake_proc(root: Path, pid: int, started: str, state: str = "S") -> None:
    (root / "sys/kernel/random").mkdir(parents=True, exist_ok=True)
    (root / "sys/kernel/random/boot_id").write_text("boot-1\n")
    folder = root / str(pid)
    folder.mkdir(parents=True)
    fields = [state, "1"] + ["0"] * 17 + [started, "0"]  # field 22 is the start time
    (folder / "stat").write_text(f"{pid} (python3) {' '.join(fields)}\n")


def test_owner_names_boot_pid_and_start_time(tmp_path: Path) -> None:
    fake_proc(tmp_path, 42, "12345")
    assert owner(42, tmp_path) == "boot-1:42:12345"
    assert not owner_gone("boot-1:42:12345", tmp_path)
    assert owner_gone("boot-1:42:99999", tmp_path)  # the pid now belongs to another process
    assert owner_gone("boot-1:43:12345", tmp_path)  # gone
    assert not owner_gone("boot-2:43:12345", tmp_path)  # another host or boot: never judged


def test_a_zombie_owner_is_gone(tmp_path: Path) -> None:
    fake_proc(tmp_path, 42, "12345", state="Z")
    assert owner_gone("boot-1:42:12345", tmp_path)


def create(engine: Engine) -> str:
    return engine.containers.create(BUSYBOX, labels={}, environment={}, network_mode="none")


def test_sweep_removes_only_the_containers_of_dead_owners(
    fake_engine: Engine, fake_api: FakeAPIClient
) -> None:
    boot = owner().split(":")[0]
    mine = create(fake_engine)
    dead = fake_api.create_container(BUSYBOX, labels={OWNER_LABEL: f"{boot}:999999999:1"})["Id"]
    elsewhere = fake_api.create_container(BUSYBOX, labels={OWNER_LABEL: "other-boot:1:1"})["Id"]
    swept = fake_engine.leftovers.sweep()
    assert swept.containers == 1
    assert set(fake_api.containers_by_id) == {mine, elsewhere}
    assert dead not in fake_api.containers_by_id


def test_a_journal_is_dropped_when_the_work_ends_and_kept_when_the_engine_dies(
    fake_engine: Engine, fake_api: FakeAPIClient, _state: Path
) -> None:
    with fake_engine.leftovers.journal() as journal:
        made = create(fake_engine)
        assert ("container", made) in journal.entries()
    assert not journal.path.exists()
    with pytest.raises(EngineGoneError), fake_engine.leftovers.journal() as journal:
        kept = create(fake_engine)
        with fake_engine.leftovers.journal() as inner:  # an inner piece of work joins it
            assert inner is journal
            note("refs", "sha256:abc|127.0.0.1:5000/")
        raise EngineGoneError("the Docker engine stopped answering during build")
    assert journal.entries()[-1][0] == "ended"
    # The owner (this process) is alive, but the journal ended: the next run sweeps it.
    swept = fake_engine.leftovers.sweep()
    assert kept not in fake_api.containers_by_id and made in fake_api.containers_by_id
    assert swept.containers == 1
    assert not journal.path.exists()


def test_watch_build_notes_step_containers_and_images(fake_engine: Engine) -> None:
    seen: list[str] = []
    with pytest.raises(EngineGoneError), fake_engine.leftovers.journal() as journal:
        on_line = watch_build(seen.append)
        for line in (
            "Step 2/3 : RUN make",
            " ---> Running in 0123456789ab",
            " ---> fedcba987654",
            "Successfully built fedcba987654",
        ):
            on_line(line)
        raise EngineGoneError("gone")
    assert journal.entries()[:2] == [("container", "0123456789ab"), ("image", "fedcba987654")]
    assert len(seen) == 4
