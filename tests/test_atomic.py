"""One atomic writer: whole outputs or none, permissions from the umask, survives kills."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import scaled_timeout
from crossings import atomic
from crossings.atomic import atomic_directory, atomic_file, recover, write_text

N_FILES = 40


@pytest.fixture
def umask() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


def _fill(gen: int):  # type: ignore[no-untyped-def]
    def fill(d: Path) -> None:
        (d / "sub").mkdir()
        for i in range(N_FILES):
            (d / ("sub" if i % 2 else ".") / f"f{i}.txt").write_text(f"{gen}\n")

    return fill


def _generation(out: Path) -> int:
    """The one generation every file of a complete output holds (fails otherwise)."""
    files = [p for p in out.rglob("*.txt")]
    assert len(files) == N_FILES, f"incomplete output: {len(files)} files"
    gens = {p.read_text() for p in files}
    assert len(gens) == 1, f"mixed output: {gens}"
    return int(gens.pop())


@pytest.mark.parametrize("mask", [0o022, 0o077, 0o002])
def test_modes_follow_the_umask(tmp_path: Path, mask: int) -> None:
    old = os.umask(mask)
    try:
        out = atomic_directory(tmp_path / "res", _fill(1))
        f = write_text(tmp_path / "one.txt", "x")
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == 0o777 & ~mask
    assert stat.S_IMODE((out / "sub").stat().st_mode) == 0o777 & ~mask
    assert stat.S_IMODE((out / "f0.txt").stat().st_mode) == 0o666 & ~mask
    assert stat.S_IMODE(f.stat().st_mode) == 0o666 & ~mask


def test_replacing_keeps_the_old_folder_until_the_new_one_is_complete(
    tmp_path: Path, umask: None
) -> None:
    out = tmp_path / "res"
    atomic_directory(out, _fill(1))

    def fill_and_look(d: Path) -> None:
        _fill(2)(d)
        assert _generation(out) == 1  # still the old one while the new one is written
        raise RuntimeError("fails at the very end")

    with pytest.raises(RuntimeError):
        atomic_directory(out, fill_and_look)
    assert _generation(out) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["res"]  # no leftovers
    atomic_directory(out, _fill(2))
    assert _generation(out) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["res"]


def test_fallback_without_exchange_and_recovery(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, umask: None
) -> None:
    out = tmp_path / "res"
    atomic_directory(out, _fill(1))
    monkeypatch.setattr(atomic, "_exchange", lambda a, b: False)
    atomic_directory(out, _fill(2))
    assert _generation(out) == 2
    # a writer killed between moving the old folder aside and moving the new one in
    dead = 2**22 + 12345  # no such process
    aside = tmp_path / f".res.old-{dead}-abc"
    out.rename(aside)
    (tmp_path / f".res.tmp-{dead}-def").mkdir()
    recover(out)
    assert _generation(out) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["res"]


def test_a_file_is_replaced_whole_or_not_at_all(tmp_path: Path, umask: None) -> None:
    path = tmp_path / "report.html"
    write_text(path, "old")
    with pytest.raises(RuntimeError), atomic_file(path) as fh:
        fh.write("half of the new")
        raise RuntimeError
    assert path.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]
    with atomic_file(path, "wb") as fh:
        fh.write(b"new")
    assert path.read_bytes() == b"new"


def test_a_target_that_is_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "res").write_text("not a folder")
    with pytest.raises(NotADirectoryError):
        atomic_directory(tmp_path / "res", _fill(1))


WRITER = textwrap.dedent(
    f"""
    import sys
    from pathlib import Path
    from crossings.atomic import atomic_directory

    out = Path(sys.argv[1])
    gen = int(sys.argv[2])
    while True:
        gen += 1
        def fill(d, gen=gen):
            (d / "sub").mkdir()
            for i in range({N_FILES}):
                (d / ("sub" if i % 2 else ".") / f"f{{i}}.txt").write_text(f"{{gen}}\\n")
        atomic_directory(out, fill)
        Path(sys.argv[3]).write_text(str(gen))
    """
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="signals and renameat2")
def test_the_previous_output_survives_a_kill_at_any_moment(tmp_path: Path, umask: None) -> None:
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    out = tmp_path / "res"
    atomic_directory(out, _fill(0))
    done = tmp_path / "done"
    gen = 0
    delays = [0.0, 0.003, 0.011, 0.027, 0.05, 0.09, 0.13, 0.2]
    for k, delay in enumerate(delays * 2):
        proc = subprocess.Popen([sys.executable, str(script), str(out), str(gen), str(done)])
        # let it write at least once (the import takes a while), then kill it mid-way
        deadline = time.monotonic() + scaled_timeout(30)
        while not (done.exists() and int(done.read_text() or 0) > gen):
            assert time.monotonic() < deadline, "the writer never finished a write"
            time.sleep(0.005)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        now = _generation(out)  # whole, one generation
        assert now >= gen, f"kill {k}: an older output came back"
        gen = now
    atomic_directory(out, _fill(gen + 1))  # the next write tidies whatever a kill left
    assert sorted(p.name for p in tmp_path.iterdir()) == ["done", "res", "writer.py"]
