"""Hidden tests of `sampled_softmax`: instructors only, never released."""
