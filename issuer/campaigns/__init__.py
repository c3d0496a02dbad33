"""Exam campaigns: results files and their rows, import runs, bundles, the demo campaign."""
