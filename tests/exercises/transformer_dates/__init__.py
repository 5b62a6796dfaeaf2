"""Tests of the exercise `transformer_dates`."""
