"""The HTML reader as it was before session 6's fast paths (main at 6d9d17c), frozen.

The property tests in test_html_equivalence.py read random HTML with this copy and with
gateway.htmltext and require the same readings: the fast paths (plain elements, simple
tags, one-pass assembly) must change no decision. Not used by the gateway.
"""
