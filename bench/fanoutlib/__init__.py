"""Parts of bench/fanout.py: the fast receiver, the plain clients, and measuring the machine."""
