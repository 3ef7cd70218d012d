"""Spine (mSASSS): sites, rules, readings, agreement, progression, pipeline, outputs, texts; model/ torch."""
