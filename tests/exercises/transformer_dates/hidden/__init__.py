"""Hidden tests of `transformer_dates`: instructors only, never released."""
