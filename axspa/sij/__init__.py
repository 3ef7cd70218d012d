"""Sacroiliac joints (modified New York): rules, pipeline, outputs, texts; model/ networks (torch only)."""
