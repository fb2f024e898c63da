import numpy as np
import pytest

from webapp.videos import rle


def test_run_lengths_count_column_major_starting_with_zeros():
    # Column-major walk of [[0, 1], [1, 1]]: 0, 1, 1, 1 -> one zero, three ones.
    mask = np.array([[0, 1], [1, 1]], bool)
    assert rle.run_lengths(mask) == [1, 3]


def test_a_mask_starting_with_ones_gets_a_leading_zero_run():
    mask = np.array([[1, 0], [1, 0]], bool)  # column-major: 1, 1, 0, 0
    assert rle.run_lengths(mask) == [0, 2, 2]


def test_counts_string_matches_pycocotools_coding():
    # Worked by hand with COCO's coding: counts < 16 are one character each, chr(48 + c);
    # from the 4th count on, the difference to counts[i-2] is coded: 3 - 1 = 2 -> '2'.
    assert rle.counts_to_string([0, 2, 2]) == "022"
    assert rle.counts_to_string([1, 1, 5, 3]) == "1152"
    # 100 = 0b00011_00100: low group 4 with the continuation bit (4 | 32) + 48 = 'T', then 3 + 48 = '3'.
    assert rle.counts_to_string([100]) == "T3"
    # A negative difference: [5, 5, 5, 2] -> 2 - 5 = -3 -> 5-bit group 0b11101 = 29, no continuation -> 'M'.
    assert rle.counts_to_string([5, 5, 5, 2]) == "555M"


@pytest.mark.parametrize(
    "text,counts", [("022", [0, 2, 2]), ("1152", [1, 1, 5, 3]), ("T3", [100]), ("555M", [5, 5, 5, 2])]
)
def test_string_to_counts_inverts_the_coding(text, counts):
    assert rle.string_to_counts(text) == counts


def test_random_masks_round_trip():
    rng = np.random.default_rng(0)
    for shape in [(1, 1), (7, 5), (48, 64), (288, 384)]:
        mask = rng.random(shape) > 0.7
        assert np.array_equal(rle.decode(rle.encode(mask), *shape), mask)


def test_empty_and_full_masks_round_trip():
    for mask in (np.zeros((48, 64), bool), np.ones((48, 64), bool)):
        assert np.array_equal(rle.decode(rle.encode(mask), 48, 64), mask)


def test_a_blob_mask_is_compact():
    mask = np.zeros((288, 384), bool)
    mask[100:180, 150:260] = True  # one rectangular 'polyp', 110 columns
    assert len(rle.encode(mask)) < 400  # ~3 bytes per column it touches, vs 110,592 pixels


def test_decode_refuses_a_string_of_the_wrong_size():
    with pytest.raises(ValueError, match="covers"):
        rle.decode(rle.encode(np.zeros((4, 4), bool)), 5, 5)
