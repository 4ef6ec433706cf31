"""``python play.py gtp`` driven over pipes the way GUIs drive it: stdin stays open after
``quit`` (Sabaki, GoGui), analysis streams until the next input (Sabaki, Lizzie),
GoGui's analyze commands, and a controller that plays under byo-yomi (KGS)."""

from __future__ import annotations

import queue
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TINY_MODEL = {"point_bias": True}  # model9 (tests/conftest.py): distinct priors
VERTEX = r"(?:[A-HJ-T]\d{1,2}|pass)"
PV = rf"pv {VERTEX}(?: {VERTEX})*"
LZ_INFO = re.compile(rf"info move {VERTEX} visits [1-9]\d* winrate \d+ prior \d+ lcb \d+ order \d+ {PV}")
KATA_INFO = re.compile(
    rf"info move {VERTEX} visits [1-9]\d* winrate [01]\.\d+ scoreMean -?\d+\.\d+ scoreLead -?\d+\.\d+ "
    rf"prior [01]\.\d+ lcb [01]\.\d+ order \d+ {PV}"
)
SABAKI_INFO = re.compile(rf"info move {VERTEX} visits [1-9]\d* winrate [01]\.\d+ prior [01]\.\d+ order \d+ {PV}")
ROOT_INFO = re.compile(r"rootInfo visits [1-9]\d* winrate [01]\.\d+ scoreLead -?\d+\.\d+$")


def entries(line: str, pattern: re.Pattern) -> list[dict[str, str]]:
    """The info entries of one analysis line as {key: value} (pv left out); fails if
    anything else is on the line."""
    found = list(pattern.finditer(line))
    assert found and pattern.sub("", line).strip() == "", line
    return [dict(zip(m.group(0).split()[1::2], m.group(0).split(" pv ")[0].split()[2::2])) for m in found]


class GuiPipe:
    """``python play.py gtp`` with its stdin held open and its stdout read line by line,
    each line stamped with the time it arrived."""

    def __init__(self, model: Path, stderr_path: Path):
        self.stderr = open(stderr_path, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "play.py", "gtp", "--model", str(model), "--threads", "1"],
            cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr,
        )
        self.lines: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for raw in self.proc.stdout:
            self.lines.put((time.monotonic(), raw.decode("utf-8").rstrip("\n")))
        self.lines.put((time.monotonic(), None))

    def send(self, text: str) -> float:
        """Write a line; returns when it was sent."""
        self.proc.stdin.write(text.encode("utf-8") + b"\n")
        self.proc.stdin.flush()
        return time.monotonic()

    def line(self, timeout: float = 60) -> tuple[float, str | None]:
        return self.lines.get(timeout=timeout)

    def response(self, timeout: float = 60) -> list[str]:
        """The lines of the next response, without its ending blank line."""
        lines = []
        while (text := self.line(timeout)[1]) != "":
            assert text is not None, f"the engine stopped: {lines}"
            lines.append(text)
        return lines

    def ask(self, command: str, timeout: float = 60) -> list[str]:
        self.send(command)
        return self.response(timeout)

    def quiet_for(self, seconds: float) -> bool:
        """True if no output arrives for ``seconds``."""
        try:
            self.line(timeout=seconds)
        except queue.Empty:
            return True
        return False

    def close(self) -> int:
        """Send quit with stdin still open (as GUIs do); the exit status."""
        try:
            if self.proc.poll() is None:
                self.send("quit")
            return self.proc.wait(timeout=60)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            self.proc.stdin.close()
            self.stderr.close()


@pytest.fixture
def gui(model9, tmp_path):
    pipe = GuiPipe(model9, tmp_path / "stderr.txt")
    yield pipe
    if pipe.proc.poll() is None:
        pipe.close()


# ------------------------------------------------------------------ issue 10.1: quit


@pytest.mark.parametrize("attempt", range(3))
def test_quit_with_stdin_held_open_exits_zero(model9, tmp_path, attempt):
    """``(printf 'name\\nquit\\n'; sleep 3) | python play.py gtp`` used to abort at exit."""
    pipe = GuiPipe(model9, tmp_path / "stderr.txt")
    assert pipe.ask("1 name") == ["=1 goengine"]
    pipe.send("2 quit")
    assert pipe.response() == ["=2"]
    status = pipe.proc.wait(timeout=60)  # stdin is still open here
    pipe.close()
    stderr = (tmp_path / "stderr.txt").read_text()
    assert status == 0, stderr
    assert "Fatal Python error" not in stderr


def test_quit_during_analysis_and_end_of_input_exit_zero(gui):
    gui.send("1 lz-analyze b 5")
    assert gui.line()[1] == "=1"
    assert LZ_INFO.match(gui.line()[1])
    gui.send("2 quit")
    while gui.line()[1] != "":  # the analysis ends with its blank line
        pass
    assert gui.response() == ["=2"]
    assert gui.proc.wait(timeout=60) == 0


# ------------------------------------------------------------ issue 10.2: analysis


def test_sabaki_and_lizzie_see_the_commands_and_names_they_expect(gui):
    listed = gui.ask("1 list_commands")
    assert listed[0] == "=1 protocol_version"
    for name in ("analyze", "kata-analyze", "lz-analyze", "genmove_analyze", "kata-genmove_analyze",
                 "lz-genmove_analyze", "gogui-analyze_commands", "time_settings", "kgs-time_settings", "time_left"):
        assert name in listed
    # Lizzie: a name that does not start with "KataGo" keeps it on lz-analyze, and the second
    # dotted number of the version is read as Leela Zero's minor version (>= 15 is needed)
    name = gui.ask("2 name")[0].split()[1]
    assert not name.startswith("KataGo")
    version = gui.ask("3 version")[0].split()[1]
    assert int(version.split(".")[1]) >= 15 and "goengine" in version


def test_analysis_streams_at_the_interval_and_stops_on_any_input(gui):
    gui.ask("1 play b e5")
    interval = 0.2
    gui.send(f"2 analyze w {int(interval * 100)}")
    assert gui.line()[1] == "=2"
    stamps = []
    for _ in range(4):
        stamp, text = gui.line()
        entries(text, SABAKI_INFO)
        stamps.append(stamp)
    gaps = [b - a for a, b in zip(stamps, stamps[1:])]
    assert min(gaps) >= 0.8 * interval  # never faster than asked (a busy machine may be slower)
    gui.send("")  # a bare newline ends the analysis, as in Leela Zero and KataGo
    while (text := gui.line()[1]) != "":
        entries(text, SABAKI_INFO)
    assert gui.quiet_for(3 * interval)  # no analysis line after the response ended
    assert gui.ask("3 name") == ["=3 goengine"]


def test_the_three_formats_and_a_new_command_ending_the_stream(gui):
    gui.send("1 lz-analyze b 10 maxmoves 4")
    assert gui.line()[1] == "=1"
    lz = entries(gui.line()[1], LZ_INFO)
    assert len(lz) == 4 and all(e["winrate"] == e["lcb"] == "5000" for e in lz)  # neutral: no value estimate
    priors = [int(e["prior"]) for e in lz]
    assert priors == sorted(priors, reverse=True) and [e["order"] for e in lz] == ["0", "1", "2", "3"]
    gui.send("2 kata-analyze b interval 10 minmoves 12 rootInfo true")  # any command ends lz-analyze
    while gui.line()[1] != "":
        pass
    assert gui.line()[1] == "=2"
    line = gui.line()[1]
    kata = entries(ROOT_INFO.sub("", line).strip(), KATA_INFO)
    assert len(kata) == 12 and ROOT_INFO.search(line)
    assert all(float(e["winrate"]) == 0.5 and float(e["scoreLead"]) == 0 for e in kata)
    priors = [float(e["prior"]) for e in kata]
    assert priors == sorted(priors, reverse=True) and 0 < sum(priors) <= 1.0001
    gui.send("3 name")
    while gui.line()[1] != "":
        pass
    assert gui.response() == ["=3 goengine"]


@pytest.mark.parametrize("command, pattern", [
    ("genmove_analyze", SABAKI_INFO),
    ("kata-genmove_analyze", KATA_INFO),
    ("lz-genmove_analyze", LZ_INFO),
])
def test_genmove_analyze_ends_with_the_move_played(gui, command, pattern):
    lines = gui.ask(f"7 {command} b 10")
    assert lines[0] == "=7" and len(lines) >= 3
    for line in lines[1:-1]:
        entries(line, pattern)
    move = re.fullmatch(rf"play ({VERTEX})", lines[-1]).group(1)
    assert gui.ask("8 list_stones b") == [f"=8 {move}"]


# ------------------------------------------------------------------ issue 10.3: GoGui


def test_gogui_analyze_commands_answer_in_their_declared_types(gui):
    listed = gui.ask("1 gogui-analyze_commands")
    listed[0] = listed[0][len("=1 "):]
    commands = {}
    for entry in listed:
        kind, label, text = entry.split("/")
        assert kind in ("dboard", "sboard", "pspairs", "gfx") and label
        commands[text.split()[0]] = kind
    assert {"dboard", "pspairs", "gfx", "sboard"} <= set(commands.values())
    gui.ask("2 play b e5")
    heat = gui.ask("3 goengine-policy_heatmap w", timeout=120)[1:]
    assert len(heat) == 9 and all(len(row.split()) == 9 for row in heat)
    values = [float(v) for row in heat for v in row.split()]
    assert max(values) == 1.0 and min(values) >= 0.0 and values[4 * 9 + 4] == 0.0  # E5 is occupied
    top = gui.ask("4 goengine-policy_top w")[0][len("=4 "):].split()
    assert len(top) == 20 and all(re.fullmatch(VERTEX, v) for v in top[::2])
    assert all(re.fullmatch(r"\d+(\.\d)?%", label) for label in top[1::2])
    liberties = gui.ask("5 goengine-liberties", timeout=180)[1:]  # compiles the feature kernels on first use
    assert liberties[4].split()[4] == "4" and liberties[0].split()[0] == '""'


# ------------------------------------------------------------ issue 10.5: time controls


def test_a_byo_yomi_controller_never_sees_the_engine_overstep(gui):
    """KGS style: byo-yomi settings, then ``time_left`` before every move; the engine must
    answer each move (plain and with analysis) well inside the one-second period."""
    period = 1.0
    assert gui.ask(f"1 kgs-time_settings byoyomi 0 {period:g} 3") == ["=1"]
    moves = 0
    for number in range(2, 12, 2):
        color = "b" if moves % 2 == 0 else "w"
        assert gui.ask(f"{number} time_left {color} {period:g} 3") == [f"={number}"]
        command = "genmove" if number % 4 == 2 else "kata-genmove_analyze"
        sent = gui.send(f"{number + 1} {command} {color} 10")
        lines = gui.response()
        answered = time.monotonic()
        assert lines[0].startswith(f"={number + 1}")
        assert answered - sent < period, f"{command} took {answered - sent:.2f} s of a {period} s period"
        moves += 1
    assert gui.ask("20 time_settings 300 30 5") == ["=20"]  # Canadian: 5 stones per 30 s
    assert gui.ask("21 time_left b 10 5") == ["=21"]
    assert gui.ask("22 genmove b")[0].startswith("=22 ")
