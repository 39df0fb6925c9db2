"""What the CLI writes where: progress on stderr (a bar on a terminal, lines elsewhere),
unwrapped text when piped, colour only on a terminal, no third-party log chatter."""

from __future__ import annotations

import json
import logging
import os
import pty
import re
import select
import subprocess
import sys

from newsqa.logs import quiet_third_party_logs

from .test_cli import newsqa

PROGRESS_LINE = re.compile(
    r"^ingest: (\d+)/45 articles \(\d+%\)( · \d+\.\d/s · ETA \S+)? · [\d,]+ chunks$")
SGR = re.compile(r"\x1b\[([\d;]*)m")


def run_on_terminal(args: list[str], env: dict[str, str], *, stream: str) -> tuple[int, str]:
    """Run the CLI with ``stream`` ("stdout" or "stderr") on a pseudo-terminal; what it drew."""
    main, child = pty.openpty()
    where = {stream: child}
    proc = subprocess.Popen([sys.executable, "-m", "newsqa.cli", *args],
                            stdout=where.get("stdout", subprocess.DEVNULL),
                            stderr=where.get("stderr", subprocess.DEVNULL),
                            env={**os.environ, "TERM": "xterm-256color", "COLUMNS": "120",
                                 **env})
    os.close(child)
    out = b""
    while True:
        ready, _, _ = select.select([main], [], [], 300)
        try:
            data = os.read(main, 65536) if ready else b""
        except OSError:  # the child closed the terminal
            data = b""
        if not data:
            break
        out += data
    os.close(main)
    return proc.wait(timeout=60), out.decode("utf-8", "replace")


def test_piped_ingest_and_bulk_remove_write_progress_lines_on_stderr_only(
        archive_dir, tmp_path):
    env = {"NEWSQA_PROGRESS_INTERVAL": "0"}  # a line at every step, not every 5 s
    ix = str(tmp_path / "ix")
    r = newsqa("ingest", str(archive_dir), "--index", ix, "--json", env=env)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["added"] == 45
    lines = r.stderr.strip().splitlines()
    counts = [int(m.group(1)) for m in map(PROGRESS_LINE.match, lines[:-1]) if m]
    assert len(counts) == len(lines) - 1, lines
    assert counts == sorted(counts) and counts[-1] == 45
    assert len(set(counts)) >= 3  # it moved through the batch, not once at its end
    assert re.match(r"^ingest: 45 articles in \d+s · 180 chunks$", lines[-1]), lines[-1]

    r = newsqa("ingest", str(archive_dir), "--index", ix, "--quiet", env=env)
    assert (r.returncode, r.stderr) == (0, "")
    assert "45 unchanged" in r.stdout

    ids = ["kremlin-51177", "kremlin-51239", "kremlin-51246"]
    r = newsqa("remove", *ids, "--index", ix, env=env)
    assert r.returncode == 0 and r.stdout.strip() == "removed 3 article(s)"
    lines = r.stderr.strip().splitlines()
    assert [line.split(" (")[0] for line in lines[:3]] == [
        "remove: 1/3 ids", "remove: 2/3 ids", "remove: 3/3 ids"]
    assert re.match(r"^remove: 3 ids in \d+s$", lines[-1])


def test_progress_lines_keep_coming_while_nothing_finishes(archive_dir, tmp_path):
    # Before the first article is done, the engine imports Chroma and loads the model: a
    # second or more, in which a line every 0.3 s still shows the command is alive.
    r = newsqa("ingest", str(archive_dir), "--index", str(tmp_path / "ix"),
               env={"NEWSQA_PROGRESS_INTERVAL": "0.3"})
    assert r.returncode == 0, r.stderr
    assert "ingest: 0/45 articles (0%)" in r.stderr.splitlines()


def test_eval_reports_progress_per_question(engine, tmp_path):
    qs = tmp_path / "q.jsonl"
    qs.write_text("".join(json.dumps({"question": q}) + "\n"
                          for q in ("What did Lavrov demand?", "Who is Tamim bin Hamad?")))
    r = newsqa("eval", str(qs), "--json", "--index", str(engine.index_dir),
               env={"NEWSQA_PROGRESS_INTERVAL": "0"})
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["questions"] == 2
    lines = r.stderr.strip().splitlines()
    assert lines[0].startswith("eval: 1/2 questions (50%) · ")
    assert lines[1].startswith("eval: 2/2 questions (100%) · ")
    assert re.match(r"^eval: 2 questions in \d+s$", lines[-1])


def test_terminal_gets_a_live_bar_that_moves_per_article(archive_dir, tmp_path):
    rc, drawn = run_on_terminal(["ingest", str(archive_dir), "--index", str(tmp_path / "ix")],
                                {}, stream="stderr")
    assert rc == 0
    assert "ingest" in drawn and "━" in drawn
    counts = {int(n) for n in re.findall(r"\b(\d+)/45 articles", SGR.sub("", drawn))}
    assert 45 in counts and counts - {0, 45}, counts  # drawn between the start and the end


def test_piped_answer_keeps_urls_and_quotes_whole_and_uncoloured(engine):
    ix = str(engine.index_dir)
    question = "What did Putin discuss with the Emir of Qatar?"
    data = json.loads(newsqa("ask", question, "--json", "--index", ix).stdout)
    assert any(c["url"] for c in data["citations"])
    r = newsqa("ask", question, "--index", ix)
    assert r.returncode == 0 and "\x1b" not in r.stdout
    lines = r.stdout.splitlines()
    for c in data["citations"]:
        assert any(line.startswith(f"[{c['n']}] ") and line.endswith(c["url"])
                   for line in lines), c["url"]
        assert f"    {c['quote']}" in lines
    assert any(len(line) > 120 for line in lines)  # not hard-wrapped at 80 columns
    r = newsqa("search", "Emir of Qatar", "--k", "2", "--index", ix)
    urls = [p["url"] for p in json.loads(newsqa("search", "Emir of Qatar", "--k", "2", "--json",
                                                "--index", ix).stdout)["results"]]
    assert all(any(u in line for line in r.stdout.splitlines()) for u in urls)


def test_colour_on_a_terminal_unless_no_color(engine):
    args = ["ask", "What did Lavrov demand?", "--index", str(engine.index_dir)]
    _, coloured = run_on_terminal(args, {}, stream="stdout")
    _, plain = run_on_terminal(args, {"NO_COLOR": "1"}, stream="stdout")
    colours = {str(n) for n in (*range(30, 39), *range(90, 98))}  # SGR colour codes
    assert {code for codes in SGR.findall(coloured) for code in codes.split(";")} & colours
    assert "Lavrov" in plain
    assert not {code for codes in SGR.findall(plain) for code in codes.split(";")} & colours


def test_third_party_chatter_is_filtered(caplog):
    quiet_third_party_logs()
    quiet_third_party_logs()  # idempotent: one filter each
    assert len(logging.getLogger("discord.client").filters) == 1
    caplog.set_level(logging.DEBUG)
    client = logging.getLogger("discord.client")
    client.warning("PyNaCl is not installed, voice will NOT be supported")
    client.warning("Shard ID None has connected to Gateway")
    text = caplog.text
    assert "PyNaCl" not in text and "has connected to Gateway" in text
