"""Evaluation: pure metric functions and benchmark runs."""
