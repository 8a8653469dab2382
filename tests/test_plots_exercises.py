import math

import torch

from genlib.exercises import ExerciseNotDone, check_function
from genlib.plots import image_grid, png_bytes


def test_image_grid_layout():
    imgs = torch.zeros(5, 1, 4, 3)
    imgs[4] = 1.0
    grid = image_grid(imgs, nrow=2, padding=1, pad_value=0.5)
    assert grid.shape == (3 * 5 + 1, 2 * 4 + 1)
    assert torch.all(grid[11:15, 1:4] == 1.0) and grid[0, 0] == 0.5
    assert image_grid(torch.rand(2, 3, 4, 4)).shape == (6, 11, 3)


def test_png_bytes_is_png_and_scaled():
    from PIL import Image
    import io
    data = png_bytes(torch.rand(7, 5), scale=3)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert Image.open(io.BytesIO(data)).size == (15, 21)


def test_check_function_verdicts(capsys):
    ref = lambda x: x.pow(2).sum(-1)
    case = [(torch.tensor([[1.0, 2.0], [3.0, -1.0]]),)]
    assert not check_function(ref, ref, case, name="sq", quiet=True)   # the reference itself: refused
    assert check_function(lambda x: (x * x).sum(-1), ref, case, name="sq")
    assert not check_function(lambda x: -ref(x), ref, case, name="sq")
    assert not check_function(lambda x: 2 * ref(x), ref, case, name="sq")
    assert not check_function(lambda x: x.pow(2), ref, case, name="sq")

    def stub(x):
        raise ExerciseNotDone
    assert not check_function(stub, ref, case, name="sq")
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "sq: right!"
    assert "wrong sign" in out[1] and "common factor" in out[2]
    assert "shape" in out[3] and "not done yet" in out[4]
    assert "10.0" not in "".join(out) and "factor of" not in "".join(out)  # no values, no factors


def test_a_factor_is_named_only_where_there_is_one():
    """Values of one magnitude (log-weights near -300) each off by a different small amount are not
    'off by one common factor' (06.1's max for logsumexp was told 'a missing constant such as 1/2')."""
    ref = lambda x: x.sum(-1)
    case = [(-100 + torch.randn(6, 3, generator=torch.Generator().manual_seed(0)),)]   # sums near -300
    near = check_function(lambda x: x.sum(-1) + torch.linspace(1.0, 1.2, 6), ref, case, quiet=True)
    assert "values differ" in near.message and "factor" not in near.message, near.message
    assert "common factor" in check_function(lambda x: 0.5 * x.sum(-1), ref, case, quiet=True).message


def test_a_common_offset_may_be_a_wrong_term_not_only_a_missing_one():
    """00.1's `- log N` for `- log K` was told 'a missing term?', but the term is there, and wrong:
    a common offset is named as one, with both readings."""
    ref = lambda x: torch.logsumexp(x, dim=0) - math.log(x.shape[0])
    case = [(torch.randn(300, 4, generator=torch.Generator().manual_seed(0), dtype=torch.float64),)]
    for wrong in (lambda x: torch.logsumexp(x, dim=0) - math.log(x.shape[1]),   # a wrong term
                  lambda x: torch.logsumexp(x, dim=0)):                          # a missing one
        message = check_function(wrong, ref, case, quiet=True).message
        assert "common constant" in message and "a wrong one" in message, message
        assert "a missing term?" not in message, message
