"""The Teams app manifest template and its two icons (``color.png`` 192×192, ``outline.png`` 32×32)."""
