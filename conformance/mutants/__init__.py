"""Deliberately broken backends: the conformance suite must catch each one."""
