"""Ways to look at a trace: the text ladder, and plotly figures (ladder, timeline, states).

Imports only :mod:`tcpnb.sim` and :mod:`tcpnb.core` (and plotly).
"""
