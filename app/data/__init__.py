"""The data interface shared by the screens and the API: scoped to the user, searchable.

Neither a view nor an API module: both build on it, and it calls only the services.
"""
