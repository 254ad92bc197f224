"""LangChain adapters: the engine as a Runnable and an LLM, a self-attention retriever, a
document compressor and an agent tool. Needs ``infiniretri-integrations[langchain]``."""

try:
    import langchain_core  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "infiniretri_integrations.langchain needs langchain-core: "
        "pip install 'infiniretri-integrations[langchain]'"
    ) from exc

from infiniretri_core.prompt import split_prompt

from ._events import PROGRESS_EVENT
from .compressor import InfiniRetriCompressor
from .llm import InfiniRetriLLM
from .qa import InfiniRetriQA
from .retriever import SelfAttentionRetriever
from .tool import InfiniRetriTool

__all__ = [
    "PROGRESS_EVENT",
    "InfiniRetriCompressor",
    "InfiniRetriLLM",
    "InfiniRetriQA",
    "InfiniRetriTool",
    "SelfAttentionRetriever",
    "split_prompt",
]
