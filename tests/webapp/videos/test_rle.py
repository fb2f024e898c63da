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


# --- pycocotools (the hot path's encoder) against the Python reference coder, byte for byte


def _masks():
    """Empty, full, single pixels, odd sizes, random densities, blobs, stripes and checkerboards."""
    rng = np.random.default_rng(13)
    shapes = [(1, 1), (1, 7), (7, 1), (2, 3), (3, 5), (7, 11), (13, 17), (31, 1), (48, 64), (99, 101), (500, 574)]
    for h, w in shapes:
        yield np.zeros((h, w), bool)
        yield np.ones((h, w), bool)
        for y, x in {(0, 0), (h - 1, w - 1), (h // 2, w // 2), (0, w - 1), (h - 1, 0)}:
            single = np.zeros((h, w), bool)
            single[y, x] = True
            yield single
            yield ~single
        for density in (0.01, 0.3, 0.5, 0.9):
            yield rng.random((h, w)) < density
        checker = (np.add.outer(np.arange(h), np.arange(w)) % 2).astype(bool)
        yield checker
        yield np.repeat((np.arange(w) % 3 == 0)[None], h, axis=0)  # vertical stripes: long runs, then short
        blob = np.zeros((h, w), bool)
        blob[h // 4 : max(h // 4 + 1, 3 * h // 4), w // 3 : max(w // 3 + 1, 2 * w // 3)] = True
        yield blob
    # Counts of every size class of the 5-bit coding (1, 2, 3 and 4 characters, negative differences).
    for run in (15, 16, 17, 511, 512, 513, 16383, 16384):
        flat = np.zeros(3 * run + 5, bool)
        flat[run : run + 2] = True
        flat[2 * run + 2 :] = True
        yield flat.reshape(-1, 1)


def test_pycocotools_encodes_every_mask_byte_identical_to_the_reference_coder():
    n = 0
    for mask in _masks():
        reference = rle.counts_to_string(rle.run_lengths(mask))
        assert rle.encode(mask) == reference, mask.shape
        assert np.array_equal(rle.decode(rle.encode(mask), *mask.shape), mask)
        n += 1
    assert n > 150


def test_encoding_accepts_non_contiguous_views_and_0_1_integers():
    mask = np.random.default_rng(1).random((40, 30)) < 0.4
    reference = rle.counts_to_string(rle.run_lengths(mask))
    assert rle.encode(np.asfortranarray(mask)) == reference
    assert rle.encode(mask.T.copy().T) == reference
    assert rle.encode(mask.astype(np.uint8)) == reference
    assert rle.encode(np.zeros((0, 4), bool)) == ""


def test_run_lengths_pack_to_the_same_strings_in_one_call():
    masks = [m for m in _masks() if m.shape == (13, 17)]
    texts = rle.encode_counts([np.asarray(rle.run_lengths(m)) for m in masks], 13, 17)
    assert texts == [rle.counts_to_string(rle.run_lengths(m)) for m in masks]
    assert rle.encode_counts([], 13, 17) == []
