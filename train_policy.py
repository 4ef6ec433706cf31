#!/usr/bin/env python3
"""Prepare SGF archives, train the policy network and evaluate it (see README.md)."""

from goengine.cli import train_cli

if __name__ == "__main__":
    train_cli()
