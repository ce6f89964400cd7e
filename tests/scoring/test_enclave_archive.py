"""``unpack_code``: real zip and tar.gz archives, good ones unpacked, odd ones refused naming the entry."""

from __future__ import annotations

import io
import stat
import tarfile
import zipfile
from pathlib import Path

import pytest

from scoring.enclave import unpack_code
from scoring.errors import CodeArchiveError, SubmissionError

MAIN = b"def predict(features):\n    return features\n"
LIMIT = 1024**2


def make_zip(path: Path, entries: dict[str, bytes], *, links: dict[str, str] | None = None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
        for name, target in (links or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, target)
    return path


def make_tar(path: Path, entries: dict[str, bytes], *, special: list[tarfile.TarInfo] | None = None) -> Path:
    with tarfile.open(path, "w:gz") as archive:
        for name, data in entries.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o4777  # setuid and world-writable: never kept
            archive.addfile(info, io.BytesIO(data))
        for info in special or []:
            archive.addfile(info)
    return path


@pytest.mark.parametrize("maker", [make_zip, make_tar], ids=["zip", "tar.gz"])
def test_a_folder_with_a_model_is_unpacked_with_plain_modes(tmp_path: Path, maker) -> None:
    archive = maker(tmp_path / "code.bin", {"main.py": MAIN, "model/weights.pkl": b"\x80\x04K\x03.", "README": b"hi"})

    dest = unpack_code(archive, tmp_path / "code", LIMIT)

    assert (dest / "main.py").read_bytes() == MAIN
    assert (dest / "model" / "weights.pkl").read_bytes() == b"\x80\x04K\x03."
    assert {oct(path.stat().st_mode & 0o7777) for path in dest.rglob("*") if path.is_file()} == {"0o644"}
    assert oct((dest / "model").stat().st_mode & 0o7777) == "0o755"


def test_one_top_folder_is_unpacked_from_inside(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "a.zip", {"mycode/main.py": MAIN, "mycode/m.pkl": b"1", "__MACOSX/._main.py": b""})

    dest = unpack_code(archive, tmp_path / "code", LIMIT)

    assert sorted(path.name for path in dest.iterdir()) == ["m.pkl", "main.py"]


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ({"../evil.py": b"x", "main.py": MAIN}, "leaves the folder"),
        ({"a/../../evil.py": b"x", "main.py": MAIN}, "leaves the folder"),
        ({"/etc/cron.d/evil": b"x", "main.py": MAIN}, "absolute path"),
        ({"C:/evil": b"x", "main.py": MAIN}, "absolute path"),
        ({"a\\..\\evil": b"x", "main.py": MAIN}, "backslash"),
        ({"model.pkl": b"x"}, "no main.py"),
        ({"main.py": MAIN, "big.bin": b"0" * (LIMIT + 1)}, "limit"),
    ],
    ids=["dotdot", "nested-dotdot", "absolute", "drive", "backslash", "no-main", "too-big"],
)
def test_odd_entries_are_refused_naming_them(tmp_path: Path, entries: dict[str, bytes], message: str) -> None:
    for maker in (make_zip, make_tar):
        archive = maker(tmp_path / f"a-{maker.__name__}", entries)

        with pytest.raises(CodeArchiveError, match=message):
            unpack_code(archive, tmp_path / f"code-{maker.__name__}", LIMIT)

    assert not (tmp_path / "evil.py").exists() and not Path("/etc/cron.d/evil").exists()


def test_a_zip_symlink_is_refused(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "a.zip", {"main.py": MAIN}, links={"answers": "/var/answers"})

    with pytest.raises(CodeArchiveError, match="'answers' is a symbolic link"):
        unpack_code(archive, tmp_path / "code", LIMIT)


@pytest.mark.parametrize(
    ("kind", "message"),
    [(tarfile.SYMTYPE, "symbolic link"), (tarfile.LNKTYPE, "hard link"), (tarfile.CHRTYPE, "device"),
     (tarfile.FIFOTYPE, "fifo")],
    ids=["symlink", "hardlink", "device", "fifo"],
)
def test_tar_links_and_special_files_are_refused(tmp_path: Path, kind: bytes, message: str) -> None:
    info = tarfile.TarInfo("odd")
    info.type, info.linkname = kind, "/etc/passwd"

    with pytest.raises(CodeArchiveError, match=message):
        unpack_code(make_tar(tmp_path / "a.tgz", {"main.py": MAIN}, special=[info]), tmp_path / "code", LIMIT)


def test_a_compression_bomb_is_refused_before_it_is_written(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "bomb.zip", {"main.py": MAIN, "zeros.bin": bytes(50 * 1024**2)})

    with pytest.raises(CodeArchiveError, match="compression bomb"):
        unpack_code(archive, tmp_path / "code", 100 * 1024**2)

    assert not (tmp_path / "code" / "zeros.bin").exists()


def test_a_size_header_that_lies_is_refused(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "a.zip", {"main.py": MAIN, "data.bin": bytes(range(256)) * 4096})
    raw = bytearray(archive.read_bytes())
    # shrink the declared sizes of data.bin in the central directory (uncompressed size field) to 1 byte
    central = raw.rfind(b"PK\x01\x02")
    raw[central + 24 : central + 28] = (1).to_bytes(4, "little")
    archive.write_bytes(bytes(raw))

    with pytest.raises(CodeArchiveError, match="damaged"):
        unpack_code(archive, tmp_path / "code", 10_000)

    assert not (tmp_path / "code" / "data.bin").exists() or (tmp_path / "code" / "data.bin").stat().st_size <= 10_000


def test_too_many_files_are_refused(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "a.zip", {"main.py": MAIN, **{f"f{index}.txt": b"" for index in range(30)}})

    with pytest.raises(CodeArchiveError, match="more than 20 entries"):
        unpack_code(archive, tmp_path / "code", LIMIT, max_files=20)


@pytest.mark.parametrize("content", [b"just text", b"PK\x03\x04broken", b"\x1f\x8b\x08\x00broken"], ids=str)
def test_not_an_archive_or_a_damaged_one_is_refused(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "code.zip").write_bytes(content)

    with pytest.raises(CodeArchiveError, match="neither a .zip|damaged"):
        unpack_code(tmp_path / "code.zip", tmp_path / "code", LIMIT)


def test_the_error_is_a_submission_error_and_a_full_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "code").mkdir()
    (tmp_path / "code" / "old.py").write_text("")

    with pytest.raises(SubmissionError, match="not empty"):
        unpack_code(make_zip(tmp_path / "a.zip", {"main.py": MAIN}), tmp_path / "code", LIMIT)
