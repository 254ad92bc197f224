"""LlamaIndex adapters: a response synthesizer that reads all nodes as one long document, a
self-attention retriever, a node postprocessor, an LLM and agent tools. Needs
``infiniretri-integrations[llamaindex]``. (They live here, not in the ``llama_index``
namespace.)"""

try:
    import llama_index.core  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "infiniretri_integrations.llama_index needs llama-index-core: "
        "pip install 'infiniretri-integrations[llamaindex]'"
    ) from exc

from .events import InfiniRetriProgressEvent
from .llm import InfiniRetriLLM
from .postprocessor import InfiniRetriNodePostprocessor
from .retriever import SelfAttentionRetriever
from .synthesizer import InfiniRetriSynthesizer
from .tools import long_document_function_tool, long_document_query_engine_tool

__all__ = [
    "InfiniRetriLLM",
    "InfiniRetriNodePostprocessor",
    "InfiniRetriProgressEvent",
    "InfiniRetriSynthesizer",
    "SelfAttentionRetriever",
    "long_document_function_tool",
    "long_document_query_engine_tool",
]
