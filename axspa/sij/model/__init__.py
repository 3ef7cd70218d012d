"""Sacroiliac-joint networks, data, training and predictor (torch only; empty until the sacroiliitis model lands)."""
