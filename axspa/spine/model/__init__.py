"""Spine networks (torch only): coarse-to-fine corner landmarks and the disc-level corner findings."""
