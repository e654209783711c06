"""Input and output: import, export, digest, calendar feed and backup."""
