"""The engine: move choice from a position (policy agents, tree search, evaluators)."""
