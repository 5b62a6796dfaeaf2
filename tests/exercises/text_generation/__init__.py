"""Tests of the exercise `text_generation`."""
