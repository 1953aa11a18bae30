"""Rollout fixtures: real widgets offscreen over the real store, jobs run inline."""

from helpers.ui_fixtures import ctx, runner

__all__ = ["ctx", "runner"]
