"""Every corpus entry gets a clear error (CLI and HTTP), never a traceback or a 500; the service
stays up, nothing stored is lost and failed submissions spend no quota."""

from __future__ import annotations

import re
import time
from pathlib import Path

import anyio
import httpx
import pytest
from reliability_kit import SERVICE, SLUG, Service, auth, corpus, run_cli

from arena.models import SubmissionState

BAD = sorted(name for name, expected in corpus.EXPECTED.items() if expected is not None)
ARCHIVES = {"gzip_content.csv.gz", "zip_content.zip"}
"""Refused at upload: an archive is a code submission, and this challenge takes predictions."""
GOOD = sorted(name for name, expected in corpus.EXPECTED.items() if expected is None)


def assert_clear(code: int, err: str, expected: str) -> None:
    assert code == 2, err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    assert expected in err.lower(), err


def test_corpus_size_and_committed_files_match_the_generator() -> None:
    assert len(BAD) + len(corpus.BIG) >= 40
    for name, content in corpus.entries().items():
        assert (corpus.HERE / name).read_bytes() == content, f"{name}: rerun python tests/corpus/generate.py write"


@pytest.mark.parametrize("name", BAD)
def test_cli_refuses_bad_submission_in_one_line(name: str, bundle: Path, monkeypatch, capsys, tmp_path) -> None:
    code, _, err = run_cli(monkeypatch, capsys, tmp_path, "score", str(bundle), str(corpus.HERE / name))
    assert_clear(code, err, corpus.EXPECTED[name])
    assert not re.search(r"(^|[\n,;\t])=cmd", err), "a formula is echoed where a spreadsheet would run it"


@pytest.mark.parametrize("name", GOOD)
def test_cli_accepts_odd_but_valid_submission(name: str, bundle: Path, monkeypatch, capsys, tmp_path) -> None:
    code, out, err = run_cli(monkeypatch, capsys, tmp_path, "score", str(bundle), str(corpus.HERE / name), "--json")
    assert code == 0, err
    assert '"f1_macro": 1.0' in out  # every odd-but-valid file carries the true labels


@pytest.mark.parametrize("name", ["sparse_2gb.csv", "gzip_bomb.csv.gz"])
def test_cli_refuses_big_binary_files_without_reading_them(
    name: str, big_corpus, bundle: Path, monkeypatch, capsys, tmp_path
) -> None:
    path = big_corpus(name)
    started = time.monotonic()
    code, _, err = run_cli(monkeypatch, capsys, tmp_path, "score", str(bundle), str(path))
    assert time.monotonic() - started < 5
    assert_clear(code, err, corpus.BIG[name])


def test_cli_refuses_million_columns_quickly(big_corpus, bundle: Path, monkeypatch, capsys, tmp_path) -> None:
    path = big_corpus("million_columns.csv")
    started = time.monotonic()
    code, _, err = run_cli(monkeypatch, capsys, tmp_path, "score", str(bundle), str(path))
    assert_clear(code, err, corpus.BIG["million_columns.csv"])
    assert time.monotonic() - started < 10, "refusing 10^6 columns took too long"


def _good_csv() -> bytes:
    return corpus.good_frame().to_csv(index=False).encode()


def _stored_snapshot(service: Service) -> tuple[dict[str, object], set[Path]]:
    response = service.client.get(f"{SERVICE}/api/challenges/{SLUG}/submissions", headers=auth("tuan"))
    assert response.status_code == 200
    files = {p for p in service.settings.submissions_dir.rglob("*") if p.is_file() and p.parent.name != "tmp"}
    return {row["id"]: row for row in response.json()}, files


def test_http_bad_submissions_fail_clearly_keep_data_and_spend_no_quota(service: Service) -> None:
    assert service.submit("tuan", _good_csv()).status_code == 202
    assert service.work().state == SubmissionState.scored
    before, files_before = _stored_snapshot(service)
    counts = service.counts()
    problems = []
    for name in BAD:
        response = service.submit("lan", (corpus.HERE / name).read_bytes(), name)
        if name in ARCHIVES:
            if response.status_code != 400 or "not a code archive" not in response.json()["detail"]:
                problems.append(f"{name}: HTTP {response.status_code} {response.text[:200]}")
            continue
        if response.status_code != 202:
            problems.append(f"{name}: HTTP {response.status_code} {response.text[:200]}")
            continue
        done = service.work()
        shown = service.client.get(f"{SERVICE}/api/challenges/{SLUG}/submissions/{done.id}", headers=auth("lan"))
        body = shown.json()
        if done.state != SubmissionState.failed or corpus.EXPECTED[name] not in (body["error"] or "").lower():
            problems.append(f"{name}: {done.state} {body.get('error')!r}")
        if "internal error" in (body["error"] or "") or re.search(r"(^|[\n,;\t])=cmd", body["error"] or ""):
            problems.append(f"{name}: unclear error {body['error']!r}")
    assert not problems, "\n".join(problems)
    after, files_after = _stored_snapshot(service)
    assert after == before and files_before <= files_after
    assert service.counts()["Submission"] == counts["Submission"] + len(BAD) - len(ARCHIVES)
    assert service.counts()["Score"] == counts["Score"]
    per_day = 4
    for _ in range(per_day):
        assert service.submit("lan", _good_csv()).status_code == 202
        assert service.work().state == SubmissionState.scored
    refused = service.submit("lan", _good_csv())
    assert refused.status_code == 429 and "limits.per_day" in refused.json()["detail"]
    assert service.client.get(f"{SERVICE}/health").json()["status"] == "ok"


def test_http_duplicate_target_columns_fail_with_a_clear_error(service: Service) -> None:
    assert service.submit("lan", (corpus.HERE / "duplicate_column_names.csv").read_bytes()).status_code == 202
    done = service.work()
    assert done.state == SubmissionState.failed and "internal error" not in done.error, done.error


@pytest.mark.parametrize("name", ["utf8_bom.csv", "mixed_newlines.csv", "formula_in_note.csv"])
def test_http_accepts_odd_but_valid_submission(name: str, service: Service) -> None:
    response = service.submit("tuan", (corpus.HERE / name).read_bytes(), name)
    assert response.status_code == 202
    assert service.work().state == SubmissionState.scored
    listed = service.client.get(f"{SERVICE}/api/challenges/{SLUG}/submissions", headers=auth("tuan")).json()
    assert listed[0]["scores"]["public"]["f1_macro"] == 1.0
    assert "=cmd" not in str(listed)


def _upload(service: Service, **request: object) -> httpx.Response:
    headers = {**auth("lan"), **request.pop("headers", {})}  # type: ignore[dict-item]
    return service.client.post(f"{SERVICE}/api/challenges/{SLUG}/submissions", headers=headers, **request)


UPLOAD_PROBLEMS = {
    "raw body, not multipart": (
        {"content": _good_csv(), "headers": {"Content-Type": "text/csv"}},
        400,
        "multipart/form-data",
    ),
    "multipart without a file field": (
        {"data": {"description": "hi"}, "files": {"other": ("x", b"1")}},
        400,
        "named 'file'",
    ),
    "description over 16 KiB": (
        {"data": {"description": "x" * 20000}, "files": {"file": ("s.csv", b"a")}},
        400,
        "description",
    ),
    "malformed multipart": (
        {"content": b"--B\r\nnot headers at all", "headers": {"Content-Type": "multipart/form-data; boundary=B"}},
        400,
        "malformed multipart",
    ),
    "gzip content-encoding": (
        {
            "content": __import__("gzip").compress(b"--B\r\n" * 1000, mtime=0),
            "headers": {"Content-Type": "multipart/form-data; boundary=B", "Content-Encoding": "gzip"},
        },
        400,
        "malformed multipart",
    ),
}


@pytest.mark.parametrize("problem", sorted(UPLOAD_PROBLEMS))
def test_http_refuses_bad_uploads_with_json_4xx(problem: str, service: Service) -> None:
    request, status, fragment = UPLOAD_PROBLEMS[problem]
    request = dict(request)
    counts = service.counts()
    response = _upload(service, **request)
    assert response.status_code == status, response.text
    assert fragment in response.json()["detail"]
    assert service.counts() == counts
    assert service.submit("lan", _good_csv()).status_code == 202


def test_http_refuses_unknown_challenge_with_404(service: Service) -> None:
    response = service.client.post(
        f"{SERVICE}/api/challenges/nope/submissions", headers=auth("lan"), files={"file": ("s.csv", _good_csv())}
    )
    assert response.status_code == 404 and "'nope'" in response.json()["detail"]


async def _stream_upload(service: Service, path: Path) -> tuple[httpx.Response, int]:
    sent = 0

    async def body():
        nonlocal sent
        yield b'--B\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n\r\n'
        with path.open("rb") as handle:
            while chunk := handle.read(1024 * 1024):
                sent += len(chunk)
                yield chunk
        yield b"\r\n--B--\r\n"

    transport = httpx.ASGITransport(app=service.client.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://scoring") as client:
        headers = {**auth("lan"), "Content-Type": "multipart/form-data; boundary=B"}
        response = await client.post(f"{SERVICE}/api/challenges/{SLUG}/submissions", content=body(), headers=headers)
    return response, sent


def test_http_refuses_2gb_sparse_upload_mid_stream(service: Service, big_corpus) -> None:
    counts = service.counts()
    started = time.monotonic()
    response, sent = anyio.run(_stream_upload, service, big_corpus("sparse_2gb.csv"))
    assert time.monotonic() - started < 10
    assert response.status_code == 413 and "submission_max_bytes" in response.json()["detail"]
    assert sent <= service.settings.submission_max_bytes + 2 * 1024 * 1024, f"read {sent} bytes of 2 GiB"
    assert service.counts() == counts  # no row, no file, no staging leftover
    assert service.submit("lan", _good_csv()).status_code == 202
