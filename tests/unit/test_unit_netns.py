"""kit.host.netns without a container: what listens in a network namespace, read from a fake
/proc/<pid>/net/tcp and tcp6 (the lines as the kernel prints them)."""

from __future__ import annotations

from pathlib import Path

from kit.host.netns import Listener, listeners, owned_by

TCP = """\
  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1
   1: 00000000:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1
   2: 0100007F:1F90 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 3 1
"""
TCP6 = """\
  sl  local_address                         remote_address                        st tx_queue
   0: 00000000000000000000000000000000:01BB 00000000000000000000000000000000:0000 0A 00000000
   1: 00000000000000000000000001000000:1389 00000000000000000000000000000000:0000 0A 00000000
"""


def test_listeners_in_a_namespace(tmp_path: Path) -> None:
    net = tmp_path / "7" / "net"
    net.mkdir(parents=True)
    (net / "tcp").write_text(TCP)
    (net / "tcp6").write_text(TCP6)
    # 127.0.0.1:8080 and 0.0.0.0:80 listen (the third line is an established connection);
    # [::]:443 and [::1]:5001 too.
    assert listeners(7, tmp_path) == [
        Listener(80, "127.0.0.1"),
        Listener(443, "127.0.0.1"),
        Listener(5001, "::1"),
        Listener(8080, "127.0.0.1"),
    ]


def test_a_gone_process_has_no_listeners(tmp_path: Path) -> None:
    assert listeners(7, tmp_path) == []


def test_owned_by_reads_the_cgroup(tmp_path: Path) -> None:
    (tmp_path / "7").mkdir()
    (tmp_path / "7" / "cgroup").write_text("8:pids:/docker/abc123\n0::/\n")
    assert owned_by(7, "abc123", tmp_path)
    assert not owned_by(7, "def456", tmp_path)
    assert not owned_by(8, "abc123", tmp_path)
