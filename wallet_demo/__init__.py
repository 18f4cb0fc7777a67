"""A small holder wallet for the skills-vc demo, usable in a phone's browser.

It receives credentials over OpenID4VCI (pre-authorized code with a transaction code), keeps
them in its own SQLite file with the holder key encrypted at rest, shows them in French, Dutch
or English, and checks their status lists itself. It talks to skills-vc only over HTTP, like any
other wallet, and never imports it. ``python -m wallet_demo`` (or ``make wallet``) serves it.
"""
