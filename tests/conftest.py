"""The real embedded model, loaded (and calibrated) once per test session.

Adapters built without an engine use the process-wide default (``shared_engine()``, whose
answers the default writer writes); the tests hand most of them ``engine``, the same reader
writing its own answers.
"""

from __future__ import annotations

import pytest
import torch
import transformers
from infiniretri_core import InfiniRetri

from infiniretri_integrations._engine import shared_engine


@pytest.fixture(scope="session")
def engine() -> InfiniRetri:
    """The embedded model reading as the paper does (``scoring="fast"``, named so that it does
    not follow the default read) and writing its own answers (``writer=None``): fast, and the
    reads and answers the tests pin. ``default_engine`` is what users get."""
    return shared_engine(writer=None, scoring="fast")


@pytest.fixture(scope="session")
def default_engine(engine: InfiniRetri) -> InfiniRetri:
    """The adapters' default engine (``shared_engine()``): the embedded reader, whose answers
    the default writer (Qwen2.5-Coder-1.5B, loaded on the first answer) writes."""
    return shared_engine()


@pytest.fixture(scope="session")
def fp32_engine(engine: InfiniRetri) -> InfiniRetri:
    """The session's model in fp32, for checks that compare kernels to 1e-4: bf16 (the
    default on CPUs with AMX) rounds differently with each input shape."""
    if engine.model.dtype == torch.float32:
        return engine
    return InfiniRetri.from_pretrained(dtype="float32", layer=engine.layer, writer=None)


@pytest.fixture(scope="session")
def tokenizer(engine: InfiniRetri):  # type: ignore[no-untyped-def]
    return engine.tokenizer


@pytest.fixture(scope="session")
def small(engine: InfiniRetri) -> InfiniRetri:
    """The session's model with a small read loop, so odd inputs span several chunks fast
    and fuzz cases read in a step or two."""
    return InfiniRetri(
        engine.model,
        engine.tokenizer,
        layer=engine.layer,
        chunk_size=128,
        top_k=16,
        max_sentence_tokens=48,
        max_cache_tokens=96,
        max_new_tokens=4,
    )


@pytest.fixture(scope="session")
def long_answer() -> tuple[str, str]:
    """A document and a question whose answer runs to hundreds of tokens."""
    colours = ["red", "blue", "green", "black", "white", "yellow"] * 5
    text = " ".join(f"Item {i} of the inventory is a {c} box." for i, c in enumerate(colours))
    return text, "List every item of the inventory with its colour, one per line."


@pytest.fixture(scope="session")
def looping(tokenizer):  # type: ignore[no-untyped-def]
    """A tiny random Llama over the embedded tokenizer, with no end of turn: decoding
    greedily, it falls into a loop (a writer for the stop rule and for ``writer=``)."""
    torch.manual_seed(0)
    config = transformers.LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=2,
    )
    model = transformers.LlamaForCausalLM(config).eval()
    model.generation_config.eos_token_id = None
    return model
