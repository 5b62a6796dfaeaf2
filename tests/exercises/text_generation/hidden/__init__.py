"""Hidden tests of `text_generation`: instructors only, never released."""
