"""Use cases: plain async functions over typed arguments and the acting viewer."""
