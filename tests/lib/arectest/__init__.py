"""Helpers shared by the Python integration tests: util, audio (G.711, Goertzel), stack, db."""
