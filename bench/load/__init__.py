"""The load test: managers doing their day against gunicorn and PostgreSQL (locust)."""
