"""LangChain's own standard suites, on the embedded model."""

from __future__ import annotations

from typing import Any

from langchain_core.documents import Document
from langchain_tests.integration_tests import RetrieversIntegrationTests, ToolsIntegrationTests
from langchain_tests.unit_tests import ToolsUnitTests

from infiniretri_integrations._engine import shared_engine
from infiniretri_integrations.langchain import InfiniRetriTool, SelfAttentionRetriever

FACTS = [
    Document(
        page_content=(
            "The Varnholm lighthouse was built in 1871. Its keeper for thirty years was "
            "Ingrid Dahl. She logged every ship that passed the cape."
        ),
        metadata={"source": "lighthouse.txt"},
    ),
    Document(
        page_content=(
            "Ferries leave the harbour twice a day. The fish market opens at dawn. "
            "Ingrid Dahl was born in the village of Skarvik."
        ),
        metadata={"source": "harbour.txt"},
    ),
]


class TestSelfAttentionRetrieverStandard(RetrieversIntegrationTests):
    @property
    def retriever_constructor(self) -> type[SelfAttentionRetriever]:
        return SelfAttentionRetriever

    @property
    def retriever_constructor_params(self) -> dict[str, Any]:
        return {"engine": shared_engine(writer=None, scoring="fast"), "documents": FACTS}

    @property
    def retriever_query_example(self) -> str:
        return "Who kept the Varnholm lighthouse?"


_TOOL_ARGS = {"question": "Where was Ingrid Dahl born?", "text": FACTS[1].page_content}


class TestInfiniRetriToolUnit(ToolsUnitTests):
    @property
    def tool_constructor(self) -> type[InfiniRetriTool]:
        return InfiniRetriTool

    @property
    def tool_constructor_params(self) -> dict[str, Any]:
        return {"engine": shared_engine(writer=None, scoring="fast")}

    @property
    def tool_invoke_params_example(self) -> dict[str, Any]:
        return _TOOL_ARGS


class TestInfiniRetriToolIntegration(ToolsIntegrationTests):
    @property
    def tool_constructor(self) -> type[InfiniRetriTool]:
        return InfiniRetriTool

    @property
    def tool_constructor_params(self) -> dict[str, Any]:
        return {"engine": shared_engine(writer=None, scoring="fast"), "max_new_tokens": 24}

    @property
    def tool_invoke_params_example(self) -> dict[str, Any]:
        return _TOOL_ARGS
