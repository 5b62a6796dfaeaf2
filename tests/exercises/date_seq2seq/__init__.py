"""Tests of the exercise `date_seq2seq`."""
