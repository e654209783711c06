"""The rules: who owns and sees what, the next-task rule, every write's one door."""
