"""Two `molstudio-cli tune` workers share one study on a real PostgreSQL server.

The test starts a throwaway server (initdb + pg_ctl) in a temporary folder on a free port
and skips, saying why, where none can be started.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import optuna
import pytest
from factories import descriptor_table

PG_BIN = Path(os.environ.get("MOLSTUDIO_PG_BIN", "/usr/lib/postgresql/15/bin"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def postgres_url():
    pytest.importorskip("psycopg", reason="no PostgreSQL driver: pip install 'molstudio[postgres]'")
    if not (PG_BIN / "initdb").exists() or not (PG_BIN / "pg_ctl").exists():
        pytest.skip(f"no PostgreSQL server programs in {PG_BIN} (set MOLSTUDIO_PG_BIN)")
    as_user: list[str] = []
    owner = None
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        runuser = shutil.which("runuser")
        users = [u for u in ("postgres", "nobody") if _user_exists(u)]
        if runuser is None or not users:
            pytest.skip("running as root and no other user (postgres, nobody) to start PostgreSQL as")
        owner = pwd.getpwnam(users[0])
        as_user = [runuser, "-u", users[0], "--"]
    folder = Path(tempfile.mkdtemp(prefix="molstudio-pg-"))
    if owner is not None:
        os.chown(folder, owner.pw_uid, owner.pw_gid)
    data, port = folder / "data", _free_port()
    run = lambda *cmd: subprocess.run([*as_user, *map(str, cmd)], capture_output=True, text=True, timeout=120)  # noqa: E731
    try:
        done = run(PG_BIN / "initdb", "-D", data, "-U", "molstudio", "--auth=trust", "-E", "UTF8")
        if done.returncode != 0:
            pytest.skip(f"initdb could not create a PostgreSQL cluster: {done.stderr.strip()[-300:]}")
        done = run(PG_BIN / "pg_ctl", "-D", data, "-l", folder / "server.log", "-w", "-t", "60",
                   "-o", f"-h 127.0.0.1 -p {port} -k {folder}", "start")
        if done.returncode != 0:
            log = (folder / "server.log").read_text() if (folder / "server.log").exists() else ""
            pytest.skip(f"the PostgreSQL server did not start: {(done.stderr + log).strip()[-300:]}")
        done = run(PG_BIN / "createdb", "-h", "127.0.0.1", "-p", port, "-U", "molstudio", "search")
        assert done.returncode == 0, done.stderr
        yield f"postgresql://molstudio@127.0.0.1:{port}/search"
    finally:
        run(PG_BIN / "pg_ctl", "-D", data, "-m", "immediate", "stop")
        shutil.rmtree(folder, ignore_errors=True)


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def test_two_workers_share_one_postgresql_study(tmp_path, postgres_url):
    data = tmp_path / "assay.csv"
    descriptor_table(60).to_csv(data, index=False)
    args = [sys.executable, "-m", "molstudio.cli", "tune", str(data), "--target", "y", "--model", "mlp",
            "--set", "hidden_sizes=16", "--set", "epochs=4", "--device", "cpu", "--threads", "1",
            "--trials", "2", "--storage", postgres_url, "--study", "shared", "--quiet"]
    workers = [subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for _ in range(2)]
    outputs = [w.communicate(timeout=300) for w in workers]
    for worker, (out, err) in zip(workers, outputs):
        assert worker.returncode == 0, err
        assert "2 trial(s) run (completed)" in out
    study = optuna.load_study(study_name="shared", storage=postgres_url)
    assert sorted(t.number for t in study.trials) == [0, 1, 2, 3]  # both workers' trials, one numbering
    assert all(t.state.is_finished() for t in study.trials)
    assert study.user_attrs["fingerprint"]["model"] == "mlp"
    assert not (tmp_path / "assay.search.db").exists()  # the URL was used, not the default SQLite file
