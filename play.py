#!/usr/bin/env python3
"""Play with the policy network: in the terminal, by self-play, over GTP, in matches (see README.md)."""

from goengine.cli import play_cli

if __name__ == "__main__":
    play_cli()
