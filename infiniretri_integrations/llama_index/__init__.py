"""LlamaIndex adapters (issue 4)."""
