"""One engine shared by threads and tasks: same results as sequential calls, nothing leaks
between calls, cancellation and KeyboardInterrupt leave it usable, greedy is deterministic."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from infiniretri_core import Cancelled, InfiniRetri, Progress, Selection, cancel_scope, haystack

from infiniretri_integrations._threads import to_thread

THREADS = 4


@pytest.fixture(scope="module")
def small(engine: InfiniRetri) -> InfiniRetri:
    return InfiniRetri(
        engine.model,
        engine.tokenizer,
        layer=engine.layer,
        chunk_size=256,
        top_k=32,
        max_cache_tokens=192,
        max_new_tokens=24,
    )


@pytest.fixture(scope="module")
def cases(engine: InfiniRetri) -> list[tuple[str, str]]:
    """Different documents and questions, each several chunks long."""
    facts = [
        ("The vault code of the old bank is 4471.", "What is the vault code of the old bank?"),
        ("Marisol keeps her bicycle in Valparaiso.", "Where does Marisol keep her bicycle?"),
        ("The lighthouse keeper's dog is called Pepper.", "What is the keeper's dog called?"),
        ("The tram to Hobart leaves at dawn.", "When does the tram to Hobart leave?"),
    ]
    return [
        (haystack.build(engine.tokenizer, 900 + 150 * i, 0.5, needle=fact), q)
        for i, (fact, q) in enumerate(facts)
    ]


def key(selection: Selection) -> list[tuple[int, int, float]]:
    return [(e.start, e.end, round(e.score, 5)) for e in selection.evidence]


Run = tuple[list[Progress], Selection, str]


def run(engine: InfiniRetri, doc: str, question: str) -> Run:
    events: list[Progress] = []
    answer = engine.answer(doc, question, progress=events.append)
    return events, answer.selection, answer.text


@pytest.fixture(scope="module")
def answered(small: InfiniRetri, cases: list[tuple[str, str]]) -> Callable[[int], Run]:
    """Case ``i`` answered by a plain sequential call, once in this module: the reference
    the threads are held to and the first of the greedy runs."""
    done: dict[int, Run] = {}

    def get(i: int) -> Run:
        if i not in done:
            done[i] = run(small, *cases[i])
        return done[i]

    return get


@pytest.fixture(scope="module")
def selected(small: InfiniRetri, cases: list[tuple[str, str]]) -> Callable[[int], Selection]:
    """Case ``i`` selected by a plain sequential call, once in this module: the reference
    for the asyncio tasks and the read before a cancel or an interrupt."""
    done: dict[int, Selection] = {}

    def get(i: int) -> Selection:
        if i not in done:
            done[i] = small.select(*cases[i])
        return done[i]

    return get


def test_threads_give_what_sequential_calls_give(
    small: InfiniRetri, cases: list[tuple[str, str]], answered: Callable[[int], Run]
) -> None:
    sequential = [answered(i) for i in range(len(cases))]
    work = cases * 2  # every case twice, interleaved across threads
    with ThreadPoolExecutor(THREADS) as pool:
        threaded = list(pool.map(lambda c: run(small, *c), work))
    for (doc, _), (events, selection, text), (seq_events, seq_sel, seq_text) in zip(
        work, threaded, sequential * 2, strict=True
    ):
        assert key(selection) == key(seq_sel)
        assert text == seq_text
        # each caller's progress came to its own callback, complete and in order
        assert [p.chunk for p in events] == list(range(1, events[0].num_chunks + 1))
        assert events == seq_events
        assert all(doc[e.start : e.end] == e.text for e in selection.evidence)


async def test_asyncio_tasks_give_what_sequential_calls_give(
    small: InfiniRetri, cases: list[tuple[str, str]], selected: Callable[[int], Selection]
) -> None:
    sequential = [key(selected(i)) for i in range(len(cases))]
    results = await asyncio.gather(
        *(to_thread(lambda d=d, q=q: small.select(d, q)) for d, q in cases)
    )
    assert [key(s) for s in results] == sequential


def test_greedy_answers_are_deterministic_run_after_run(
    small: InfiniRetri, cases: list[tuple[str, str]], answered: Callable[[int], Run]
) -> None:
    doc, question = cases[0]
    _, first_selection, first_text = answered(0)  # the first run
    for _ in range(2):
        again = small.answer(doc, question)
        assert again.text == first_text
        assert key(again.selection) == key(first_selection)


def stop_at_chunk(n: int, action) -> tuple[list[int], object]:  # type: ignore[no-untyped-def]
    seen: list[int] = []

    def progress(p: Progress) -> None:
        seen.append(p.chunk)
        if p.chunk == n:
            action()

    return seen, progress


def test_cancel_token_stops_the_read_at_the_next_chunk(
    small: InfiniRetri, cases: list[tuple[str, str]], selected: Callable[[int], Selection]
) -> None:
    doc, question = cases[1]
    before = key(selected(1))
    token = threading.Event()
    seen, progress = stop_at_chunk(2, token.set)
    with pytest.raises(Cancelled):
        small.select(doc, question, progress, cancel=token)  # type: ignore[arg-type]
    assert seen == [1, 2]
    assert key(small.select(doc, question)) == before  # usable, nothing carried over

    token = threading.Event()
    seen, progress = stop_at_chunk(1, token.set)
    with cancel_scope(token), pytest.raises(Cancelled):
        small.answer(doc, question, progress)  # type: ignore[arg-type]
    assert seen == [1]


def test_keyboard_interrupt_mid_read_leaves_the_engine_usable(
    small: InfiniRetri, cases: list[tuple[str, str]], selected: Callable[[int], Selection]
) -> None:
    doc, question = cases[2]
    before = key(selected(2))

    def interrupt() -> None:
        raise KeyboardInterrupt

    _, progress = stop_at_chunk(2, interrupt)
    with pytest.raises(KeyboardInterrupt):
        small.select(doc, question, progress)  # type: ignore[arg-type]
    # the model lock is free for another thread, and the next call reads as before
    free = threading.Thread(target=lambda: small.lock.acquire(timeout=5) and small.lock.release())
    free.start()
    free.join(10)
    assert not free.is_alive()
    assert key(small.select(doc, question)) == before


def test_cancelling_during_generation_stops_the_stream(
    small: InfiniRetri, long_answer: tuple[str, str]
) -> None:
    token = threading.Event()
    stream = small.stream_answer(*long_answer, max_new_tokens=200, cancel=token)
    pieces = [next(stream)]
    token.set()
    with pytest.raises(Cancelled):
        pieces.extend(stream)
    assert len(pieces) < 10
    assert small.lock.acquire(timeout=5)
    small.lock.release()


async def test_a_cancelled_task_stops_its_read_in_the_worker_thread(
    small: InfiniRetri, cases: list[tuple[str, str]]
) -> None:
    doc, question = cases[3]
    seen: list[int] = []
    started = asyncio.Event()
    loop = asyncio.get_running_loop()

    def progress(p: Progress) -> None:
        seen.append(p.chunk)
        loop.call_soon_threadsafe(started.set)

    task = asyncio.create_task(to_thread(lambda: small.select(doc, question, progress)))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    at_cancel = len(seen)
    # the worker stops before its next chunk instead of reading on in the background
    await asyncio.to_thread(lambda: small.lock.acquire(timeout=30) and small.lock.release())
    await asyncio.sleep(0.2)
    assert len(seen) <= at_cancel + 1
    total = small.select(doc, question).num_chunks
    assert len(seen) < total


def test_user_text_and_prompt_encodes_do_not_race(tokenizer) -> None:  # type: ignore[no-untyped-def]
    """Fast tokenizers flip a shared flag for split_special_tokens; unguarded, threads mixing
    both kinds of encode got the other's setting (584 of 2,000 prompt encodes wrong once)."""
    from infiniretri_core.tokens import encode, encode_control

    control = "<|im_start|>system\n<|im_end|>\n<|im_start|>user\n"
    want = encode_control(tokenizer, control)
    assert len(want) < len(encode(tokenizer, [control])[0])  # control tokens recognised
    data = ["a document quoting <|im_end|> " * 100] * 8

    def job(i: int) -> bool:
        if i % 2:
            return encode_control(tokenizer, control) == want
        encode(tokenizer, data)
        return True

    with ThreadPoolExecutor(8) as pool:
        assert all(pool.map(job, range(2000)))
