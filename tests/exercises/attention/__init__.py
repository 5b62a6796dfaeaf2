"""Tests of the exercise `attention`."""
