"""The protocol itself: segments, states, one endpoint's rules, timers and ISNs.

Nothing here knows about time passing, networks, plotting or widgets; this
layer imports only the standard library.
"""
