"""Prepared training data: compact position records, the prepare job and torch loading."""
