"""``python -m service``: the QA service without the bench's command line (see ``launcher``)."""

from service.launcher import main

if __name__ == "__main__":
    raise SystemExit(main())
