"""The soak benchmark's parts (bench/soak.py runs them): the stack, the load, the report."""
