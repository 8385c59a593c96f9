"""The start command's supervisor: what it does when one of its processes dies."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

from devtools.supervisor import Child
from tests.conftest import BASE_DIR


def exits(code: int) -> list[str]:
    return [sys.executable, "-c", f"raise SystemExit({code})"]


def died(child: Child) -> float:
    """Wait for the child's process to end; a clock reading after that."""
    assert child.process is not None
    child.process.wait(timeout=60)
    return time.monotonic()


def test_a_process_that_keeps_dying_is_restarted_after_1_2_4_s_up_to_30_s(
    tmp_path, capsys
):
    child = Child("worker", exits(3), tmp_path)
    child.spawn()
    for _ in range(7):
        now = died(child)
        assert child.check(now) == "waiting"
        assert child.check(now + 0.5) == "waiting"  # not yet due: not started
        assert child.check(now + 30) == "waiting"  # due: started again
    output = capsys.readouterr().out
    delays = re.findall(
        r"the worker stopped \(exit code 3\); restarting it in (\S+) s", output
    )
    assert delays == ["1", "2", "4", "8", "16", "30", "30"]
    assert "worker started (pid" in output
    assert child.starts == 8


def test_a_process_up_for_a_while_is_restarted_after_1_s_again(tmp_path, capsys):
    child = Child("worker", exits(0), tmp_path)
    child.spawn()
    for _ in range(3):
        now = died(child)
        child.check(now)
        child.check(now + 30)
    child.command = [sys.executable, "-c", "import time; time.sleep(60)"]
    now = died(child)
    child.check(now)
    child.check(now + 30)  # started again: this time it stays up
    assert child.check(time.monotonic() + 61) == "up"
    assert child.process is not None
    child.process.kill()
    child.check(died(child))
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.endswith("the worker stopped (killed by SIGKILL); restarting it in 1 s")


def test_a_scheduler_dying_at_its_first_start_is_not_restarted(tmp_path, capsys):
    child = Child("scheduler", exits(1), tmp_path)
    child.spawn()
    assert child.check(died(child)) == "failed to start"
    assert "restarting" not in capsys.readouterr().out


#: A supervisor of one process that ignores SIGTERM (a worker that will not
#: stop soon); prints the process's pid once it is up.
SUPERVISED = """
import sys
from pathlib import Path
from devtools.supervisor import Child, supervise

stubborn = (
    "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
    "print('up', flush=True); time.sleep(120)"
)
child = Child("worker", [sys.executable, "-c", stubborn], Path("."))
child.spawn()
print("pid", child.process.pid, flush=True)
raise SystemExit(supervise([child]))
"""


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_asked_twice_to_stop_it_kills_what_is_left_instead_of_leaving_it(tmp_path):
    supervisor = subprocess.Popen(
        [sys.executable, "-c", SUPERVISED],
        cwd=BASE_DIR,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert supervisor.stdout is not None
    lines = iter(supervisor.stdout.readline, "")
    pid = next(int(line.split()[1]) for line in lines if line.startswith("pid "))
    assert next(line for line in lines if line.strip() == "up")
    supervisor.send_signal(signal.SIGTERM)
    next(line for line in lines if "stopping the web app" in line)
    supervisor.send_signal(signal.SIGTERM)  # again, as Ctrl-C twice
    assert supervisor.wait(timeout=20) == 0
    assert "asked again: killing" in supervisor.stdout.read()
    assert not alive(pid)
