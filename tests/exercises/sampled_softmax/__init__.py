"""Tests of the exercise `sampled_softmax`."""
