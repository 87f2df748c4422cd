"""Microsoft Teams surface: Bot Framework activities in, the core's neutral replies out as messages and Adaptive Cards.

Every botbuilder import lives in this package, and only in the modules that talk to the SDK
(``sdk.py``, ``connector.py``, ``bot.py``, ``endpoint.py``, ``surface.py``). The mapping between the
activity protocol and the core is pure functions over plain JSON dicts (``activities``, ``mentions``,
``submits``, ``adaptive``, ``outgoing``, ``routing``), so moving to the Microsoft 365 Agents SDK —
same activity protocol — touches only the SDK-facing modules.
"""
