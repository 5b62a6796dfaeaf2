"""Hidden tests of `stateful_dataset`: instructors only, never released."""
