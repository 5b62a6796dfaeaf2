"""Tests of the exercise `beam_search`."""
