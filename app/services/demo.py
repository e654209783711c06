"""Demo data (placeholder until written)."""


class DemoRefused(Exception):
    pass


def generate_demo(appbuilder, session, companies=200, managers=3, seed=2026):
    raise DemoRefused("not yet")
