"""Per-family pieces of the OR-Tools model: one module per constraint family."""
