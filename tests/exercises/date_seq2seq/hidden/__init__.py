"""Hidden tests of `date_seq2seq`: instructors only, never released."""
