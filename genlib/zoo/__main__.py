"""``python -m genlib.zoo`` (``make pretrain``): train every model the notebooks load, once."""
from . import pretrain_all

if __name__ == "__main__":
    pretrain_all()
