"""Hidden tests of `attention`: instructors only, never released."""
