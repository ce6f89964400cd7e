"""The real Streamlit server identifies the viewer from the header the hub's OAuth proxy forwards."""

from __future__ import annotations

import json
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import websocket
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from leaderboard import USER_HEADER, streamlit_command

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def server(seeded, tmp_path: Path) -> Iterator[int]:
    """``streamlit run`` exactly as the hub launches it, on the seeded database; yields its port."""
    port = _free_port()
    env = {"ARENA_DATA_DIR": str(seeded.settings.data_dir), "ARENA_DATABASE_URL": seeded.settings.db_url}
    command = streamlit_command(port)
    log = (tmp_path / "streamlit.log").open("w")
    process = subprocess.Popen(command, env={**env, "PATH": "/usr/bin:/bin"}, cwd=tmp_path, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/_stcore/health").text == "ok":
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        else:
            pytest.fail(f"streamlit did not answer on port {port}: {(tmp_path / 'streamlit.log').read_text()}")
        yield port
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


@pytest.fixture
def visit(server: int) -> Callable[[str | None, str], str]:
    """Run the app once over the websocket as ``user`` (None: no header); returns every message as text."""

    def _visit(user: str | None, query: str) -> str:
        info = json.dumps({"kind": "user", "name": user, "admin": False, "groups": []})
        headers = [f"{USER_HEADER}: {info}"] if user else []
        connection = websocket.create_connection(
            f"ws://127.0.0.1:{server}/_stcore/stream", header=headers, subprotocols=["streamlit"], timeout=30
        )
        request = BackMsg()
        request.rerun_script.query_string = query
        connection.send_binary(request.SerializeToString())
        messages = []
        try:
            while True:
                message = ForwardMsg()
                message.ParseFromString(connection.recv())
                messages.append(str(message))
                if message.WhichOneof("type") == "script_finished":
                    return "\n".join(messages)
        finally:
            connection.close()

    return _visit


def test_forwarded_user_sees_the_board_and_no_header_means_not_signed_in(visit, seeded) -> None:
    competitor = visit("alice", f"challenge={seeded.slug}")
    nobody = visit(None, f"challenge={seeded.slug}")

    assert "Signed in as **alice** (competitor)" in competitor
    assert "Owls" in competitor
    assert "Not signed in" in nobody and "Owls" not in nobody
