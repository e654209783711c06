"""Serve the CRM: `python run.py --host H --port P` (or `flask --app run ...`)."""

import argparse

from app import create_app

app = create_app()


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve the CRM.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--debug", action="store_true")
    args = parser.parse_args()
    app.run(host=args.host, port=args.port, debug=args.debug)


if __name__ == "__main__":
    main()
