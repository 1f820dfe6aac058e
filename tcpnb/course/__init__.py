"""The course's own material: self-checks, review exercises and Monte-Carlo experiments.

Imports the layers below it (core, sim, views, real), never :mod:`tcpnb.widgets`.
"""
