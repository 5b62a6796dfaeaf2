"""The exercise tests, one package per exercise (unique module names)."""
