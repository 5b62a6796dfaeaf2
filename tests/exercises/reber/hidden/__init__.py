"""Hidden tests of `reber`: instructors only, never released."""
