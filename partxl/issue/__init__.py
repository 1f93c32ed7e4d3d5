"""Issuing: the locked, pre-filled workbooks officers fill in (``generate``) and their signed metadata."""
