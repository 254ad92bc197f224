"""An agent hands a long file to InfiniRetriTool and cites the evidence it returns.

    python examples/langchain_agent.py

Offline and deterministic: the agent's chat model is LangChain's GenericFakeChatModel,
scripted to call the tool; the tool itself is real (the embedded model reads the whole file).
With a real chat model, bind the tool (``model.bind_tools([tool])``) and the loop is the same.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from infiniretri_core import haystack
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage

from infiniretri_integrations._engine import shared_engine
from infiniretri_integrations.langchain import InfiniRetriTool


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--tokens", type=int, default=12_000, help="length of the file in tokens")
    args = ap.parse_args()

    engine = shared_engine()
    folder = Path(tempfile.mkdtemp(prefix="infiniretri-agent-"))
    (folder / "essays.txt").write_text(
        haystack.build(engine.tokenizer, args.tokens, 0.4), encoding="utf-8"
    )
    tool = InfiniRetriTool(engine=engine, root_dir=folder, max_new_tokens=40)

    call = {
        "name": tool.name,
        "args": {"question": haystack.QUESTION, "path": "essays.txt"},
        "id": "call-1",
    }
    agent_model = GenericFakeChatModel(
        messages=iter(
            [
                AIMessage(content="", tool_calls=[call]),
                AIMessage(content="Here is what the document says, with its source."),
            ]
        )
    )
    messages: list[BaseMessage] = [
        HumanMessage(f"{haystack.QUESTION} The answer is in essays.txt, which is very long.")
    ]
    while True:
        reply = agent_model.invoke(messages)
        messages.append(reply)
        if not isinstance(reply, AIMessage) or not reply.tool_calls:
            break
        for tool_call in reply.tool_calls:
            result = tool.invoke({**tool_call, "type": "tool_call"})
            assert isinstance(result, ToolMessage)
            messages.append(result)
            print(f"tool {tool_call['name']}({tool_call['args']}) -> {result.content}")
            best = max(result.artifact, key=lambda d: d.metadata["score"])
            print(
                f"  evidence [{best.metadata['source']} {best.metadata['start_index']}-"
                f"{best.metadata['end_index']}]: {best.page_content}"
            )
    print(f"agent: {messages[-1].text}")


if __name__ == "__main__":
    main()
