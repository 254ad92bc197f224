"""An agent's tool call answered by InfiniRetri over a long file, with its evidence.

    python examples/llamaindex_agent.py

Offline and deterministic: the agent's decision (which tool, which arguments) is a scripted
``ToolSelection``, executed by LlamaIndex's own ``call_tool_with_selection`` as agents do.
The tools are real: the embedded model reads the whole file. With a function-calling LLM,
give the same tools to ``FunctionAgent(tools=[...], llm=...)``.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from infiniretri_core import haystack
from llama_index.core.llms.llm import ToolSelection
from llama_index.core.schema import Document
from llama_index.core.tools.calling import call_tool_with_selection

from infiniretri_integrations._engine import shared_engine
from infiniretri_integrations.llama_index import (
    long_document_function_tool,
    long_document_query_engine_tool,
)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--tokens", type=int, default=12_000, help="length of the file in tokens")
    args = ap.parse_args()

    engine = shared_engine()
    folder = Path(tempfile.mkdtemp(prefix="infiniretri-agent-"))
    text = haystack.build(engine.tokenizer, args.tokens, 0.8)
    (folder / "essays.txt").write_text(text, encoding="utf-8")
    tools = [
        long_document_function_tool(engine=engine, root_dir=folder, max_new_tokens=40),
        long_document_query_engine_tool(
            [Document(text=text, metadata={"file_name": "essays.txt"})],
            engine=engine,
            name="essays_qa",
            description="Answer questions about the essays collection.",
            max_new_tokens=40,
        ),
    ]
    calls = [
        ToolSelection(
            tool_id="call-1",
            tool_name="long_document_file_qa",
            tool_kwargs={"question": haystack.QUESTION, "path": "essays.txt"},
        ),
        ToolSelection(
            tool_id="call-2", tool_name="essays_qa", tool_kwargs={"input": haystack.QUESTION}
        ),
    ]
    for call in calls:
        output = call_tool_with_selection(call, tools)
        print(f"tool {call.tool_name}({call.tool_kwargs}) -> {output.content}")
        best = max(output.raw_output.source_nodes, key=lambda n: n.score or 0.0)
        print(
            f"  evidence [chars {best.node.start_char_idx}-{best.node.end_char_idx}]: "
            f"{best.node.get_content()}"
        )


if __name__ == "__main__":
    main()
