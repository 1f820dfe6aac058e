"""The simulator: endpoints over a network with delay and loss, the trace of a run, scenarios.

Imports only :mod:`tcpnb.core`.
"""
