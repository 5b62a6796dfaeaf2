"""Tests of the exercise `stateful_dataset`."""
