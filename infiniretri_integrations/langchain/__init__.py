"""LangChain adapters (issue 3)."""
