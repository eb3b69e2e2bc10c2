"""The kiosk's screens, one module (and one ``.kv`` file beside it) per screen.

``rating`` asks the question, ``thanks`` thanks, ``followup`` asks why after a
low face, ``pinpad`` guards ``staff``, the day's figures for store staff; both
time out (``idle``).
"""
