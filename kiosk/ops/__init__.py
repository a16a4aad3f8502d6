"""Operator tools: doctor, upgrade, log verification, sample print, waiting for the UI."""
