"""WEB_PROCESSES: several ``python -m bot serve`` processes on one port (handlers.web_processes), PostgreSQL only."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings
from handlers import web_processes
from handlers.web_processes import Supervisor
from tests.slack_harness import SIGNING_SECRET, sign
from tests.teams_harness import free_port, request
from tests.test_teams_serve import clean_env

# A child that answers every connection with its process ID, from the socket it inherited.
CHILD = """
import os, socket
listener = socket.socket(fileno=int(os.environ["PARTNERUP_LISTEN_FD"]))
while True:
    connection, _ = listener.accept()
    connection.recv(65536)
    body = str(os.getpid()).encode()
    connection.sendall(b"HTTP/1.1 200 OK\\r\\nContent-Length: %d\\r\\nConnection: close\\r\\n\\r\\n" % len(body) + body)
    connection.close()
"""


class Monotonic:
    """The supervisor's clock, and its pause between looks at its children, in virtual time (each pause a moment)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.pauses: list[float] = []

    def __call__(self) -> float:
        return self.now

    def pause(self, seconds: float) -> None:
        self.pauses.append(seconds)
        self.now += seconds
        threading.Event().wait(0.05)  # a real moment, so the children run: virtual time runs four times as fast


def until(condition, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        threading.Event().wait(0.02)


def test_more_than_one_web_process_needs_postgresql(tmp_path: Path) -> None:
    env = clean_env(SLACK_BOT_TOKEN="xoxb-test-token", SLACK_SIGNING_SECRET=SIGNING_SECRET,
                    DATABASE_URL=f"sqlite:///{tmp_path}/p.db", WEB_PROCESSES="2")  # fmt: skip
    result = subprocess.run([sys.executable, "-m", "bot", "serve"], capture_output=True, text=True, cwd=tmp_path,
                            env=env, timeout=60)  # fmt: skip
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert "WEB_PROCESSES above 1 needs PostgreSQL" in line
    # The console and the worker, which serve nothing, don't mind the setting.
    assert load_settings({"DATABASE_URL": "sqlite:///p.db", "WEB_PROCESSES": "2"}, needs=()).web_processes == 2
    for wrong in ("0", "two", "100"):
        with pytest.raises(ConfigError, match="WEB_PROCESSES must be a number between 1 and 32"):
            load_settings({"DATABASE_URL": "postgresql://u@h/db", "WEB_PROCESSES": wrong}, needs=())
    assert load_settings({"DATABASE_URL": "postgresql://u@h/db", "WEB_PROCESSES": "3"}, needs=()).web_processes == 3


@contextmanager
def supervising() -> Iterator[tuple[Supervisor, Monotonic, list[int]]]:
    """Two CHILD processes under a supervisor running in a thread on virtual time; stopped on the way out, its
    exit status left in the list."""
    clock = Monotonic()
    supervisor = Supervisor(processes=2, port=free_port(), command=[sys.executable, "-c", CHILD], clock=clock,
                            pause=clock.pause)  # fmt: skip
    result: list[int] = []
    running = threading.Thread(target=lambda: result.append(supervisor.run()))
    running.start()
    try:
        until(lambda: len(supervisor.children) == 2, "two web processes started")
        yield supervisor, clock, result
    finally:
        supervisor.stop()
        running.join(timeout=30)


def test_the_supervisor_shares_one_socket_restarts_a_dead_process_and_stops_them_all() -> None:
    with supervising() as (supervisor, clock, result):
        pids = {child.pid for child, _ in supervisor.children.values()}
        answer = request(f"http://127.0.0.1:{supervisor.port}/healthz")
        assert answer.status == 200 and int(answer.body) in pids  # one of them took the connection

        clock.now += web_processes.STARTUP  # killed (out of memory, kill -9) after a while
        victim, _ = supervisor.children[0]
        victim.kill()
        until(lambda: supervisor.children[0][0].pid != victim.pid, "a web process that was killed was replaced")
        assert supervisor.children[0][0].poll() is None
        assert int(request(f"http://127.0.0.1:{supervisor.port}/").body) in {
            child.pid for child, _ in supervisor.children.values()
        }
    assert result == [0]
    assert all(child.poll() is not None for child, _ in supervisor.children.values())


def test_a_first_process_that_cannot_start_stops_the_others_with_its_exit_code(tmp_path: Path) -> None:
    # The first child to start exits with 3 (as with bad settings); the other would serve on.
    command = [sys.executable, "-c", f"""
import os, sys, time
try:
    os.close(os.open({str(tmp_path / "first")!r}, os.O_CREAT | os.O_EXCL))
except FileExistsError:
    time.sleep(120)
sys.exit(3)
"""]  # fmt: skip
    supervisor = Supervisor(processes=2, port=free_port(), command=command)
    assert supervisor.run() == 3
    assert all(child.poll() is not None for child, _ in supervisor.children.values())
    assert any(child.returncode == -signal.SIGTERM for child, _ in supervisor.children.values())  # stopped


def test_a_replacement_that_keeps_dying_is_started_again_later_and_later_without_stopping_the_others() -> None:
    with supervising() as (supervisor, clock, result):
        healthy = supervisor.children[1][0]
        for attempt in range(3):  # killed again and again right after each start (say, out of memory)
            victim, started = supervisor.children[0]
            victim.kill()
            until(lambda v=victim: supervisor.children[0][0].pid != v.pid, "a killed web process was replaced")
            assert supervisor.children[0][1] - started >= web_processes.RESTART_AFTER * 2**attempt
        assert healthy.poll() is None and supervisor.children[1][0] is healthy  # the other one served on
        assert result == []  # still supervising
    assert result == [0]


def test_serve_with_two_web_processes_answers_slack_on_one_port_and_stops_on_sigterm(
    tmp_path: Path, database_url: str, fake_slack
) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("several web processes need PostgreSQL")
    port = free_port()
    env = clean_env(SLACK_BOT_TOKEN="xoxb-test-token", SLACK_SIGNING_SECRET=SIGNING_SECRET,
                    SLACK_API_URL=fake_slack.url, DATABASE_URL=database_url, PORT=str(port), WEB_PROCESSES="2")  # fmt: skip
    output = (tmp_path / "serve.log").open("wb")
    process = subprocess.Popen([sys.executable, "-m", "bot", "serve"], cwd=tmp_path, env=env, stdout=output,
                               stderr=subprocess.STDOUT)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:

        def up() -> bool:
            assert process.poll() is None, (tmp_path / "serve.log").read_text(errors="replace")[-2000:]
            try:
                return request(f"{base}/healthz").status == 200
            except OSError:
                return False

        until(up, "serve with two web processes came up", timeout=60)
        children = _children(process.pid)
        assert len(children) == 2
        body = b"command=%2Fpartnerup&text=help&user_id=U0HELP&team_id=T0001&channel_id=C1&trigger_id=1.2"
        for _ in range(6):  # whichever process takes it, a signed command is answered; a forged one refused
            assert request(f"{base}/slack/events", method="POST", data=body, headers=signed_headers(body)).status == 200
            assert request(f"{base}/slack/events", method="POST", data=body,
                           headers={"Content-Type": "application/x-www-form-urlencoded"}).status == 401  # fmt: skip
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=30)
        output.close()
    assert code == 0
    assert not any(_alive(pid) for pid in children)


def test_web_processes_stop_when_their_supervisor_is_killed(tmp_path: Path, database_url: str, fake_slack) -> None:
    """A kill -9 of the supervisor leaves no web process holding the port: each watches a pipe from it."""
    if database_url.startswith("sqlite"):
        pytest.skip("several web processes need PostgreSQL")
    port = free_port()
    env = clean_env(SLACK_BOT_TOKEN="xoxb-test-token", SLACK_SIGNING_SECRET=SIGNING_SECRET,
                    SLACK_API_URL=fake_slack.url, DATABASE_URL=database_url, PORT=str(port), WEB_PROCESSES="2")  # fmt: skip
    process = subprocess.Popen([sys.executable, "-m", "bot", "serve"], cwd=tmp_path, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        until(lambda: len(_children(process.pid)) == 2 and _answers(f"http://127.0.0.1:{port}/healthz"),
              "serve with two web processes came up", timeout=60)  # fmt: skip
        children = _children(process.pid)
    finally:
        process.kill()
        process.wait(timeout=30)
    until(lambda: not any(_alive(pid) for pid in children), "the web processes stopped with their supervisor")


def _answers(url: str) -> bool:
    try:
        return request(url).status == 200
    except OSError:
        return False


def _alive(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists() and "zombie" not in _state(pid)


def signed_headers(body: bytes) -> dict[str, str]:
    timestamp = int(time.time())
    return {"Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": str(timestamp),
            "X-Slack-Signature": sign(body, timestamp)}  # fmt: skip


def _children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (from /proc: the 4th field of /proc/<pid>/stat, after the name)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/status").read_text().lower()
    except OSError:
        return "zombie"
