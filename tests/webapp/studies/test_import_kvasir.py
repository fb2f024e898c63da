import io

import cv2
import numpy as np
import pytest
from django.core.management import CommandError, call_command

from inference.synthetic import synthetic_frame
from tests.webapp.accounts.factories import make_user
from webapp.studies.models import Mask, MaskSource, StillImage, Study
from webapp.videos import rle

pytestmark = pytest.mark.django_db


def _kvasir_folder(root, n=3, with_masks=True):
    rng = np.random.default_rng(0)
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir()
    masks = {}
    for i in range(n):
        frame, mask = synthetic_frame(40, 56, rng, (0.5, 0.5, 0.2))
        cv2.imwrite(str(root / "images" / f"img{i}.jpg"), frame)
        if with_masks:
            cv2.imwrite(str(root / "masks" / f"img{i}.png"), mask.astype(np.uint8) * 255)
        masks[f"img{i}.jpg"] = mask
    return masks


def test_it_imports_images_with_ground_truth_masks(tmp_path, media_root):
    masks = _kvasir_folder(tmp_path / "kv")
    make_user(username="doc")
    out = io.StringIO()
    call_command("import_kvasir", str(tmp_path / "kv"), owner="doc", stdout=out)
    assert "3 images, 3 with ground truth" in out.getvalue()
    study = Study.objects.get()
    assert study.patient.pseudo_id == "KVASIR-kv"
    for still in StillImage.objects.filter(study=study):
        assert (still.width, still.height) == (56, 40) and (media_root / still.file.name).is_file()
        mask = Mask.objects.get(image=still)
        assert mask.source == MaskSource.GROUND_TRUTH and mask.model_version is None and mask.author is None
        assert np.array_equal(rle.decode(mask.rle, 40, 56), masks[still.original_name])


def test_a_bad_image_imports_nothing(tmp_path, media_root):
    _kvasir_folder(tmp_path / "kv")
    (tmp_path / "kv" / "images" / "zz.jpg").write_bytes(b"not a jpeg")
    make_user(username="doc")
    before = set((media_root / "images").glob("*"))
    with pytest.raises(CommandError, match="zz.jpg"):
        call_command("import_kvasir", str(tmp_path / "kv"), owner="doc", stdout=io.StringIO())
    assert not Study.objects.exists() and not StillImage.objects.exists()
    assert set((media_root / "images").glob("*")) == before


def test_a_folder_without_images_is_refused(tmp_path):
    make_user(username="doc")
    with pytest.raises(CommandError, match="images/"):
        call_command("import_kvasir", str(tmp_path), owner="doc")
