"""The parts of bench/volume.py: building a network of a given scale, and measuring it."""
