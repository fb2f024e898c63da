"""GET /api/studies/{id}/export/?format=kvasir|coco: the newest label of each image, round trips, audit."""

import io
import zipfile

import cv2
import numpy as np
import pytest

from tests.webapp.accounts.factories import make_user
from tests.webapp.studies.factories import kvasir_zip, make_study
from webapp.accounts.models import Role
from webapp.audit.models import Action, AuditEntry
from webapp.studies.models import Mask, MaskSource, StillImage, Study
from webapp.studies.services import study_add_member
from webapp.videos import rle

pytestmark = pytest.mark.django_db


def _import(api_client, path) -> Study:
    with path.open("rb") as fh:
        response = api_client.post("/api/studies/import/", {"file": fh}, format="multipart")
    assert response.status_code == 201, response.content
    return Study.objects.get(pk=response.json()["id"])


def _masks_by_name(study: Study) -> dict[str, np.ndarray]:
    """Each image's newest ground-truth or person mask, keyed by the image's file stem."""
    out = {}
    for still in StillImage.objects.filter(study=study):
        mask = still.masks.exclude(source=MaskSource.MODEL).order_by("-created_at", "-id").first()
        out[still.original_name.rsplit(".", 1)[0]] = rle.decode(mask.rle, still.height, still.width)
    return out


def test_a_kvasir_export_reimports_to_the_same_masks(api_client, tmp_path):
    doctor = make_user()
    api_client.force_authenticate(doctor)
    kvasir_zip(tmp_path / "kv.zip")
    study = _import(api_client, tmp_path / "kv.zip")
    # A person's correction of img1, newer than its ground truth: the export carries the correction.
    still = StillImage.objects.get(study=study, original_name="img1.jpg")
    corrected = np.zeros((40, 56), bool)
    corrected[3:9, 4:20] = True
    Mask.objects.create(image=still, source=MaskSource.PERSON, author=doctor, rle=rle.encode(corrected))

    response = api_client.get(f"/api/studies/{study.pk}/export/?format=kvasir")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert f'filename="study-{study.pk}-kvasir.zip"' in response["Content-Disposition"]
    data = b"".join(response.streaming_content)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert sorted(zf.namelist()) == [f"{d}/img{i}.{e}" for d, e in (("images", "jpg"), ("masks", "png"))
                                         for i in range(3)]
        exported = cv2.imdecode(np.frombuffer(zf.read("masks/img1.png"), np.uint8), cv2.IMREAD_GRAYSCALE)
    assert set(np.unique(exported)) == {0, 255} and np.array_equal(exported > 0, corrected)

    (tmp_path / "export.zip").write_bytes(data)
    again = _import(api_client, tmp_path / "export.zip")
    original, reimported = _masks_by_name(study), _masks_by_name(again)
    assert original.keys() == reimported.keys() == {"img0", "img1", "img2"}
    for name in original:
        assert np.array_equal(original[name], reimported[name]), name
    assert np.array_equal(reimported["img1"], corrected)
    entry = AuditEntry.objects.get(action=Action.EXPORT)
    assert (entry.actor, entry.target_id, entry.detail) == (doctor, str(study.pk),
                                                            {"format": "kvasir", "images": 3, "masks": 3})


def test_a_coco_export_decodes_to_the_masks_with_bbox_and_area(api_client, tmp_path):
    doctor = make_user()
    api_client.force_authenticate(doctor)
    rectangle = np.zeros((40, 56), bool)
    rectangle[5:15, 10:30] = True  # rows 5..14, columns 10..29: x=10, y=5, 20 wide, 10 high, 200 pixels
    empty = np.zeros((40, 56), bool)
    masks = kvasir_zip(tmp_path / "kv.zip", masks={"img0": rectangle, "img2": empty})
    study = _import(api_client, tmp_path / "kv.zip")

    response = api_client.get(f"/api/studies/{study.pk}/export/?format=coco")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    coco = response.json()
    assert coco["categories"] == [{"id": 1, "name": "polyp", "supercategory": "polyp"}]
    images = {image["id"]: image for image in coco["images"]}
    assert sorted(image["file_name"] for image in images.values()) == [f"images/img{i}.jpg" for i in range(3)]
    # img2's label is empty: no polyp, so no annotation (COCO's way of saying the same).
    assert len(coco["annotations"]) == 2
    for ann in coco["annotations"]:
        image = images[ann["image_id"]]
        height, width = ann["segmentation"]["size"]
        assert (height, width) == (image["height"], image["width"]) == (40, 56)
        decoded = rle.decode(ann["segmentation"]["counts"], height, width)
        name = image["file_name"].removeprefix("images/")
        assert np.array_equal(decoded, masks[name])
        assert ann["area"] == int(decoded.sum()) and ann["category_id"] == 1 and ann["iscrowd"] == 0
        if name == "img0.jpg":
            assert ann["bbox"] == [10, 5, 20, 10] and ann["area"] == 200
    assert AuditEntry.objects.get(action=Action.EXPORT).detail == {"format": "coco", "images": 3, "masks": 3}


def test_a_member_annotator_may_export(api_client):
    owner, annotator = make_user(), make_user(Role.ANNOTATOR)
    study = make_study(owner)
    study_add_member(study=study, user=annotator)
    api_client.force_authenticate(annotator)
    response = api_client.get(f"/api/studies/{study.pk}/export/?format=coco")
    assert response.status_code == 200 and response.json()["images"] == []


def test_an_unknown_format_is_400(api_client):
    user = make_user()
    study = make_study(user)
    api_client.force_authenticate(user)
    for query in ("?format=voc", ""):
        response = api_client.get(f"/api/studies/{study.pk}/export/{query}")
        assert response.status_code == 400 and "format" in response.json()
    assert not AuditEntry.objects.filter(action=Action.EXPORT).exists()


def test_unauthenticated_users_get_401_and_other_users_study_is_404(api_client):
    study = make_study(make_user())
    assert api_client.get(f"/api/studies/{study.pk}/export/?format=kvasir").status_code == 401
    api_client.force_authenticate(make_user())
    for fmt in ("kvasir", "coco"):
        assert api_client.get(f"/api/studies/{study.pk}/export/?format={fmt}").status_code == 404
    assert api_client.get("/api/studies/999999/export/?format=coco").status_code == 404
    assert not AuditEntry.objects.filter(action=Action.EXPORT).exists()
