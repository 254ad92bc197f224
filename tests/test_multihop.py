"""Two-hop cases: the generator's guarantees, and the cache carrying the bridge to the answer."""

from __future__ import annotations

import re

import pytest
from infiniretri_core import InfiniRetri, InputError, Progress, Selection
from infiniretri_core.bench import multihop
from infiniretri_core.bench.cases import Case
from infiniretri_core.bench.compare import CaseSpec, plan

STOP = frozenset(
    re.findall(
        r"\w+",
        "a an the of in on to for and is are was does did do has have which what who whom how "
        "their his her its that by every at with",
    )
)


def _content(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z]+", text.lower()) if w not in STOP}


@pytest.mark.parametrize("task", list(multihop.TASKS))
def test_cases_are_seeded_and_hide_the_answer_from_the_question(tokenizer, task: str) -> None:  # type: ignore[no-untyped-def]
    case = multihop.generate(task, tokenizer, 3000, seed=4)
    assert case == multihop.generate(task, tokenizer, 3000, seed=4)
    assert case != multihop.generate(task, tokenizer, 3000, seed=5)
    bridge, answer = case.needles
    doc = case.document
    assert doc.count(bridge) == 1 and doc.count(answer) == 1
    assert case.expected[0] in answer and case.expected[0] not in case.question
    name = bridge.removesuffix(".").split(" named ")[1]
    assert answer.startswith(name)
    assert not _content(answer) & _content(case.question), "the second hop must share no word"
    assert _content(bridge) & _content(case.question), "the first hop is found by the question"
    first, second = doc.index(bridge), doc.index(answer)
    assert (first < second) == (task != "two_hop_reverse")
    n_tokens = len(tokenizer(doc, add_special_tokens=False)["input_ids"])
    assert abs(n_tokens - 3000) < 60
    if task == "two_hop_distractors":
        named = re.findall(r"The ([a-z ]+) of the ([a-z ]+) is a person named", doc)
        assert len(named) == 7  # the bridge and six distractors sharing the role or place
        role, place = re.match(r"The ([a-z ]+) of the ([a-z ]+) is", bridge).groups()  # type: ignore[union-attr]
        assert all((r == role) != (p == place) for r, p in named if (r, p) != (role, place))


def test_pools_give_many_distinct_cases(tokenizer) -> None:  # type: ignore[no-untyped-def]
    combos = len(multihop._ROLES) * len(multihop._PLACES) * len(multihop._FIRST)
    combos *= len(multihop._LAST) * sum(len(r.values) for r in multihop.RELATIONS)
    assert combos > 1_000_000
    questions = {multihop.generate("two_hop", tokenizer, 600, s).question for s in range(12)}
    assert len(questions) == 12


def test_compare_plans_two_hop_tasks(tokenizer) -> None:  # type: ignore[no-untyped-def]
    specs = plan([1000], ["two_hop", "two_hop_distractors"], seeds=[0, 1])
    assert [s.name for s in specs] == [
        "two_hop-1000-s0",
        "two_hop-1000-s1",
        "two_hop_distractors-1000-s0",
        "two_hop_distractors-1000-s1",
    ]
    assert CaseSpec("two_hop", 1000, 0).build(tokenizer) == multihop.generate(
        "two_hop", tokenizer, 1000, 0
    )
    with pytest.raises(InputError, match="two_hop"):
        plan([1000], ["three_hop"])
    with pytest.raises(InputError):
        multihop.generate("two_hop", tokenizer, 100)


def _two_templates(tokenizer, length: int) -> list:  # type: ignore[no-untyped-def]
    """Cases of two different relations (answer templates), bridge first."""
    cases, seen = [], set()
    for seed in range(50):
        case = multihop.generate("two_hop", tokenizer, length, seed)
        template = case.question.split(" the ")[0]
        if template not in seen:
            seen.add(template)
            cases.append(case)
        if len(cases) == 2:
            return cases
    raise AssertionError("the pools gave one template only")


@pytest.fixture(scope="module")
def templates(engine: InfiniRetri) -> list[Case]:
    return _two_templates(engine.tokenizer, 2600)


@pytest.fixture(scope="module")
def plain_reads(engine: InfiniRetri, templates: list[Case]) -> list[Selection]:
    """The session engine's read of all of each template case: read once, checked for the
    bridge in the cache and ranked against the link head."""
    return [engine.select(case.document, case.question) for case in templates]


def test_the_bridge_is_in_the_cache_when_the_answer_chunk_is_read(
    engine: InfiniRetri,
    templates: list[Case],
    plain_reads: list[Selection],
) -> None:
    """Read all of it: both hops are kept, the answer in a later chunk than the bridge. Read
    up to the answer's sentence (chunks are packed greedily from the start, so they are the
    same): the bridge is in the cache the answer's chunk is read with."""
    for case, full in zip(templates, plain_reads, strict=True):
        bridge, answer = case.needles
        chunk = {n: [e.chunk for e in full.evidence if n in e.text] for n in case.needles}
        assert chunk[bridge] and chunk[answer], (case.name, [e.text for e in full.evidence])
        assert chunk[bridge][0] < chunk[answer][0]  # the answer came chunks later
        before = engine.select(case.document[: case.document.index(answer)], case.question)
        assert before.num_chunks in (chunk[answer][0], chunk[answer][0] + 1)
        assert any(bridge in e.text for e in before.evidence), case.name


def _ranks(selection: Selection, case: Case) -> list[int | None]:
    """Rank (1 = best score) of each hop among the kept sentences of ``selection`` (a read of
    ``case``); None if not kept."""
    ranked = sorted(selection.evidence, key=lambda e: -e.score)
    return [next((i + 1 for i, e in enumerate(ranked) if n in e.text), None) for n in case.needles]


def test_link_head_ranks_the_answer_right_after_its_bridge(
    engine: InfiniRetri,
    templates: list[Case],
    plain_reads: list[Selection],
) -> None:
    """The answer sentence shares no word with the question: the paper's scoring ranks it
    among essay sentences (5th-19th at this length), the link head right after the bridge."""
    linked = InfiniRetri(engine.model, engine.tokenizer, layer=engine.layer, link_head="auto")
    for case, full in zip(templates, plain_reads, strict=True):
        plain = _ranks(full, case)
        with_link = _ranks(linked.select(case.document, case.question), case)
        assert with_link[0] == 1 and with_link[1] is not None and with_link[1] <= 3, (
            case.name,
            with_link,
        )
        assert plain[1] is None or plain[1] > with_link[1] + 1, (case.name, plain, with_link)


def test_a_second_pass_links_an_answer_read_before_its_bridge(engine: InfiniRetri) -> None:
    """Answer first: one pass cannot link it (its bridge is not yet read); a second pass
    starts from the first pass's cache, which holds the bridge, and keeps both; every
    pass is reported, the evidence comes in document order and nothing is kept twice."""
    one = InfiniRetri(engine.model, engine.tokenizer, layer=engine.layer, link_head="auto")
    two = InfiniRetri(
        engine.model, engine.tokenizer, layer=engine.layer, link_head="auto", passes=2
    )
    for seed in range(2):
        case = multihop.generate("two_hop_reverse", engine.tokenizer, 2600, seed)
        single = _ranks(one.select(case.document, case.question), case)
        reports: list[Progress] = []
        sel = two.select(case.document, case.question, progress=reports.append)
        double = _ranks(sel, case)  # the same read ranked, not a second one
        assert double[0] is not None and double[1] is not None and double[1] <= 3, double
        assert single[1] is None or single[1] > double[1], (single, double)
        assert [r.chunk for r in reports] == list(range(1, 2 * sel.num_chunks + 1))
        assert reports[-1].tokens_total == 2 * sel.tokens_read
        assert sel.tokens_read < reports[-1].tokens_read < 2 * sel.tokens_read  # cache not re-read
        ids = [e.sentence for e in sel.evidence]
        assert ids == sorted(set(ids))
