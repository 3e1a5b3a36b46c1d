"""Relational structure: how many children each parent gets, and how rows hang together."""
