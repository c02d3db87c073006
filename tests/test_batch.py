"""A batch parsed stage by stage (``parse.parse_batch``, as a worker parses its files) reads each
text as ``parse_parts`` reads it alone, whatever the batch holds beside it; in a worker
(``work.process_batch``) a file whose parse fails or hangs at any stage costs that file alone,
within its own time, summed over its steps."""

from __future__ import annotations

import random
import signal
import time
from pathlib import Path

import pytest

from pipeline import parse, work
from pipeline.generate import generate_many
from pipeline.parse import parse_batch, parse_parts
from pipeline.read import read_text

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"


def _texts() -> list[str]:
    """Generated reports of every layout, the real text reports, and texts with little or
    nothing of a report (a stage ends them early or reads empty sections)."""
    texts = [g.text for g in generate_many(31, 96)]
    real = sorted((SHARED / "corpus").glob("*.txt")) + sorted((SHARED / "seeds").glob("*.txt"))
    texts += [read_text(p.name, p.read_bytes())[0] for p in real]
    return [
        *texts,
        "",
        "政府信息公开工作年度报告",
        "三、收到和处理政府信息公开申请情况\n本年新收政府信息公开申请数量 1 2",
    ]


def test_a_batch_reads_each_text_as_it_reads_alone():
    texts = _texts()
    alone = [repr(parse_parts(t)) for t in texts]
    assert len({a for a in alone}) > len(texts) // 2  # they differ: the comparison can fail
    assert [repr(p) for p in parse_batch(texts)] == alone
    order = list(range(len(texts)))
    random.Random(5).shuffle(order)
    shuffled = parse_batch([texts[k] for k in order])
    assert {k: repr(p) for k, p in zip(order, shuffled, strict=True)} == dict(enumerate(alone))


def test_a_text_a_step_drops_is_none_and_the_others_read_on():
    texts = [g.text for g in generate_many(32, 8)]
    met: list[tuple[int, str]] = []

    def step(k, stage, p):
        met.append((k, stage.__name__))
        return None if (k, stage) == (3, parse._requests_read) else stage(p)

    got = parse_batch(texts, step)
    assert got[3] is None
    assert [repr(g) for k, g in enumerate(got) if k != 3] == [
        repr(parse_parts(t)) for k, t in enumerate(texts) if k != 3
    ]
    # stage by stage: every text through a stage before any goes on; text 3 no further
    names = [s.__name__ for s in parse._STAGES]
    dropped_at = names.index("_requests_read")
    assert met == [(k, name) for name in names for k in range(8) if k != 3 or names.index(name) <= dropped_at]


def test_a_file_whose_parse_fails_or_hangs_costs_that_file_alone(tmp_path, monkeypatch):
    """At the section 三 stage of the batch's parse: one file fails, two hang, one is slow after a
    slow decoding (its time is its steps' together: 0.3 + 0.3 s of 0.5), one is slow only there.
    The failing, stuck and twice slow files are rejected, each stuck one within its own time
    (the second too: the timer is set again after the first); the others are packed as in a
    batch where nothing went wrong."""
    generated = list(generate_many(33, 7))
    names = [f"r{k}.txt" for k in range(len(generated))]
    for name, g in zip(names, generated, strict=True):
        (tmp_path / name).write_bytes(g.data)
    clean = work.process_batch(str(tmp_path), names)
    trouble = {"r1.txt": "fails", "r2.txt": "hangs", "r3.txt": "slow", "r5.txt": "slow", "r6.txt": "hangs"}
    decoded = {read_text(n, (tmp_path / n).read_bytes())[0]: trouble[n] for n in trouble}
    marked: dict[int, str] = {}  # id of the parse of each file in trouble -> what happens to it
    hung: list[float] = []  # how long each stuck file's stage ran

    def lines(p):
        if p.text in decoded:
            marked[id(p)] = decoded[p.text]
        return parse._lines(p)

    def requests(p):
        how = marked.get(id(p))
        started = time.monotonic()
        try:
            if how == "fails":
                raise RuntimeError("section 三 broke")
            if how == "hangs":
                time.sleep(30)
            if how == "slow":
                time.sleep(0.3)
        finally:
            if how == "hangs":
                hung.append(time.monotonic() - started)
        return parse._requests_read(p)

    stages = {parse._lines: lines, parse._requests_read: requests}
    monkeypatch.setattr(parse, "_STAGES", tuple(stages.get(s, s) for s in parse._STAGES))
    real_read_text = work.read_text

    def slow_decoding(name, data):
        if name == "r3.txt":
            time.sleep(0.3)
        return real_read_text(name, data)

    monkeypatch.setattr(work, "read_text", slow_decoding)
    monkeypatch.setattr(work, "FILE_SECONDS", 0.5)
    results = work.process_batch(str(tmp_path), names)
    rejects = {r.path: (r.reject.code, r.reject.message) for r in results if r.reject is not None}
    assert rejects == {
        "r1.txt": ("parser_error", "RuntimeError: section 三 broke"),
        "r2.txt": ("timeout", "gave up after 0.5 s (a malformed file?)"),
        "r3.txt": ("timeout", "gave up after 0.5 s (a malformed file?)"),
        "r6.txt": ("timeout", "gave up after 0.5 s (a malformed file?)"),
    }
    assert len(hung) == 2 and all(0.45 <= t < 0.75 for t in hung)  # its whole time, and not much more
    for got, want in zip(results, clean, strict=True):
        if got.path not in rejects:
            assert (got.cells, got.checks, got.counts, got.status) == (
                want.cells,
                want.checks,
                want.counts,
                want.status,
            )
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)  # no timer left behind


@pytest.mark.parametrize("budget", [1, 20_000, 10**9])
def test_files_are_read_ahead_in_groups_of_bounded_size(tmp_path, monkeypatch, budget):
    """A batch's files are read in groups of at most READ_AHEAD_BYTES (or one larger file),
    then decoded: in order, each once."""
    names = [f"r{k}.txt" for k in range(9)]
    for k, name in enumerate(names):
        (tmp_path / name).write_bytes(b"x" * (3_000 + 1_000 * k))
    monkeypatch.setattr(work, "READ_AHEAD_BYTES", budget)
    groups = list(work._read_ahead(str(tmp_path), names))
    assert [r.path for group in groups for _, r in group] == names
    for group in groups:
        assert len(group) == 1 or sum(len(data) for data, _ in group) <= budget
    assert len(groups) == {1: 9, 20_000: 4, 10**9: 1}[budget]


def test_a_batch_is_parsed_a_group_read_ahead_at_a_time(tmp_path, monkeypatch):
    """Large files are decoded and parsed a group of at most READ_AHEAD_BYTES at a time, not all
    of a batch at once: memory holds one group's texts and parses.  The results are the same."""
    generated = list(generate_many(34, 6))
    names = [f"r{k}.txt" for k in range(len(generated))]
    for name, g in zip(names, generated, strict=True):
        (tmp_path / name).write_bytes(g.data)
    whole = work.process_batch(str(tmp_path), names)
    sizes: list[int] = []
    real_parse_batch = work.parse_batch

    def counted(texts, step):
        sizes.append(len(texts))
        return real_parse_batch(texts, step)

    monkeypatch.setattr(work, "parse_batch", counted)
    work.process_batch(str(tmp_path), names)
    assert sizes == [6]
    sizes.clear()
    monkeypatch.setattr(work, "READ_AHEAD_BYTES", 1)
    grouped = work.process_batch(str(tmp_path), names)
    assert sizes == [1] * 6
    assert [(r.path, r.cells, r.checks, r.status) for r in grouped] == [
        (r.path, r.cells, r.checks, r.status) for r in whole
    ]


# the steps' bookkeeping as a worker has it (C where the install built it) and the Python's
STEPS = [work._Steps] + ([work._steps.Steps] if work._steps is not None else [])


def _deadline_on(base: type) -> type:
    """work._Deadline with the steps' bookkeeping of `base`."""
    if base is work._Deadline.__base__:
        return work._Deadline
    body = {k: v for k, v in vars(work._Deadline).items() if k not in ("__dict__", "__weakref__")}
    return type("_Deadline", (base,), body)


@pytest.mark.parametrize("base", STEPS, ids=lambda b: b.__module__)
def test_steps_time_each_file_and_hand_on_its_failures(base):
    """``step`` runs a stage on a text of the group as a step of that text's file, and hands
    what it raises to ``failed``; ``run`` is a step; each file's time is the sum of its steps'."""
    deadline = _deadline_on(base)()  # not entered: no timer
    failures = []
    deadline.places, deadline.failed = [3, 5], lambda k, exc: failures.append((k, type(exc)))
    assert deadline.step(0, len, "ab") == 2
    assert deadline.step(1, int, "x") is None
    assert failures == [(5, ValueError)]
    assert sorted(deadline.spent) == [3, 5] and deadline.started is None
    before = deadline.spent[3]
    assert deadline.run(3, time.sleep, 0.02) is None
    assert deadline.spent[3] - before >= 0.02
    with pytest.raises(ZeroDivisionError):
        deadline.run(4, divmod, 1, 0)
    assert deadline.started is None and 4 in deadline.spent
    deadline.begin(7)
    assert deadline.file == 7 and deadline.started is not None
    assert deadline.until == pytest.approx(deadline.started + work.FILE_SECONDS)
    deadline.end()
    assert deadline.started is None

    def interrupted(k, exc):
        raise KeyboardInterrupt

    deadline.failed = interrupted  # what is no file's fault (``_rejected``) ends the batch
    with pytest.raises(KeyboardInterrupt):
        deadline.step(0, int, "x")


@pytest.mark.parametrize("base", STEPS, ids=lambda b: b.__module__)
def test_a_timeout_that_rings_as_a_step_returns_is_that_files(base):
    """A ring pending as a file's step returns (the step's own code ran no Python that would
    have run the handler) is handled before the step ends: the step fails with the timeout, the
    file's time counts it, and the timer serves the files after."""
    with _deadline_on(base)() as deadline:
        deadline.spent[1] = deadline.limit + 1  # file 1's time is up: the timer is set for 1 ms
        with pytest.raises(work._Timeout):  # C's sum checks for no signal: the ring waits for it
            deadline.run(1, sum, range(10**7))
        assert deadline.started is None and deadline.spent[1] > deadline.limit
        assert deadline.run(2, divmod, 7, 2) == (3, 1)
        assert 0 < signal.getitimer(signal.ITIMER_REAL)[0] <= deadline.limit
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_a_timeout_that_lands_as_a_step_ends_is_that_files_reject(tmp_path, monkeypatch):
    """In the Python's steps, the timer can ring in ``_Steps.end`` itself, after the step's own
    code: the timeout is still that file's reject, not the end of the batch, and the timer
    serves the files after."""
    names = [f"r{k}.txt" for k in range(3)]
    for name, g in zip(names, generate_many(35, 3), strict=True):
        (tmp_path / name).write_bytes(g.data)
    monkeypatch.setattr(work, "_Deadline", _deadline_on(work._Steps))
    real_end, ends = work._Steps.end, []

    def end(self, rings_at):
        if self.file == 1 and self.started is not None:
            ends.append(self.started)
            if len(ends) == rings_at:  # at its decoding's end (1), or a stage's of its parse (3)
                self.until = time.monotonic() - 1  # its time is up just as the step ends
                self._ring(signal.SIGALRM, None)
        real_end(self)

    for rings_at in (1, 3):
        ends.clear()
        monkeypatch.setattr(work._Steps, "end", lambda self, at=rings_at: end(self, at))
        results = work.process_batch(str(tmp_path), names)
        assert len(ends) == rings_at
        assert [r.reject.code if r.reject else None for r in results] == [None, "timeout", None]
        assert results[2].cells and signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
