"""Hidden tests of `beam_search`: instructors only, never released."""
