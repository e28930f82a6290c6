"""Accounts (QĐ 43 Art. 12.3: credentials kept secret, passwords changed periodically).

``throttle`` limits login attempts, ``passwords`` holds the password policy and rotation,
``sessions`` binds web sessions and remember-me tokens to server-side state, ``actions`` wires
them into CKAN's user actions. The core plugin calls these; nothing here registers itself.
"""
