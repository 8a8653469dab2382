"""``python -m genlib.zoo [names...]``: train every recipe of the collection once."""
import sys

from . import names, pretrain_all

if __name__ == "__main__":
    wanted = sys.argv[1:]
    if wanted and wanted[0] in {"-h", "--help"}:
        print(__doc__.strip(), "\nrecipes:", ", ".join(names()))
    else:
        pretrain_all(wanted or None)
