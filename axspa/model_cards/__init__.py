"""The shipped models' cards: every figure regenerated from nothing and checked (make evaluate-models)."""
