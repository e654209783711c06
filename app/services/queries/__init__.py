"""Read-only questions: My day, reports, the board, look-ups and the activity feed."""
