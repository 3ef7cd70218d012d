"""Hip STIR MRI: segments, scores, pipeline, outputs, texts, evaluate; model/ networks (torch only)."""
