"""GET /api/studies/{id}/export/?format=kvasir|coco: the current label of each still image and corrected video
frame, round trips, audit."""

import io
import zipfile

import cv2
import numpy as np
import pytest

from tests.webapp.accounts.factories import make_user
from tests.webapp.studies.factories import kvasir_zip, make_study
from webapp.accounts.models import Role
from webapp.annotations.labels import current_label, newest_revision
from webapp.annotations.services import mask_revision_create
from webapp.annotations.targets import MaskTarget
from webapp.audit.models import Action, AuditEntry
from webapp.studies.models import StillImage, Study
from webapp.studies.services import study_add_member
from webapp.videos import rle

pytestmark = pytest.mark.django_db


def _import(api_client, path) -> Study:
    with path.open("rb") as fh:
        response = api_client.post("/api/studies/import/", {"file": fh}, format="multipart")
    assert response.status_code == 201, response.content
    return Study.objects.get(pk=response.json()["id"])


def _masks_by_name(study: Study) -> dict[str, np.ndarray]:
    """Each image's current label (its newest revision, else its ground truth), keyed by the image's file stem."""
    out = {}
    for still in StillImage.objects.filter(study=study):
        label = current_label(target=MaskTarget(image=still))
        out[still.original_name.rsplit(".", 1)[0]] = rle.decode(label.rle, label.height, label.width)
    return out


def test_a_kvasir_export_reimports_to_the_same_masks(api_client, tmp_path):
    doctor = make_user()
    api_client.force_authenticate(doctor)
    kvasir_zip(tmp_path / "kv.zip")
    study = _import(api_client, tmp_path / "kv.zip")
    # A person's correction of img1, saved as the editor saves it: the export carries it, not the ground truth.
    still = StillImage.objects.get(study=study, original_name="img1.jpg")
    corrected = np.zeros((40, 56), bool)
    corrected[3:9, 4:20] = True
    mask_revision_create(target=MaskTarget(image=still), author=make_user(Role.ANNOTATOR),
                         rle_text=rle.encode(corrected), based_on_id=None)

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


def _revise(target: MaskTarget, mask: np.ndarray, author, based_on=None):
    return mask_revision_create(target=target, author=author, rle_text=rle.encode(mask),
                                based_on_id=based_on.pk if based_on else None)


def _square(height: int, width: int, top: int, size: int = 6) -> np.ndarray:
    mask = np.zeros((height, width), bool)
    mask[top:top + size, 10:10 + size] = True
    return mask


def test_corrected_video_frames_are_exported_as_images_with_their_masks(api_client, done_video, owner, annotator):
    drawn = {}
    for frame in (7, 2, 5):
        drawn[frame] = _square(48, 64, top=frame)
        _revise(MaskTarget(video=done_video, frame_index=frame), drawn[frame], annotator)
    # A second revision of frame 5 supersedes the first in the export.
    first = MaskTarget(video=done_video, frame_index=5)
    drawn[5] = _square(48, 64, top=20)
    _revise(first, drawn[5], annotator, based_on=newest_revision(target=first))
    api_client.force_authenticate(owner)

    response = api_client.get(f"/api/studies/{done_video.study_id}/export/?format=kvasir")
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as zf:
        stems = [f"v{done_video.pk}_f{i}" for i in (2, 5, 7)]
        assert sorted(zf.namelist()) == sorted([f"images/{s}.jpg" for s in stems] + [f"masks/{s}.png" for s in stems])
        for frame in (2, 5, 7):
            image = cv2.imdecode(np.frombuffer(zf.read(f"images/v{done_video.pk}_f{frame}.jpg"), np.uint8),
                                 cv2.IMREAD_COLOR)
            mask = cv2.imdecode(np.frombuffer(zf.read(f"masks/v{done_video.pk}_f{frame}.png"), np.uint8),
                                cv2.IMREAD_GRAYSCALE)
            assert image.shape == (48, 64, 3) and np.array_equal(mask > 0, drawn[frame])

    coco = api_client.get(f"/api/studies/{done_video.study_id}/export/?format=coco").json()
    assert [(i["video_id"], i["frame_index"], i["width"], i["height"]) for i in coco["images"]] == [
        (done_video.pk, frame, 64, 48) for frame in (2, 5, 7)]
    assert len(coco["annotations"]) == 3
    for ann in coco["annotations"]:
        image = next(i for i in coco["images"] if i["id"] == ann["image_id"])
        decoded = rle.decode(ann["segmentation"]["counts"], 48, 64)
        assert np.array_equal(decoded, drawn[image["frame_index"]]) and ann["source"] == "revision"
    assert AuditEntry.objects.filter(action=Action.EXPORT).latest("id").detail == {
        "format": "coco", "images": 3, "masks": 3}


def test_a_still_images_revision_supersedes_its_ground_truth_in_both_formats(api_client, tmp_path):
    doctor = make_user()
    api_client.force_authenticate(doctor)
    truths = kvasir_zip(tmp_path / "kv.zip")
    study = _import(api_client, tmp_path / "kv.zip")
    still = StillImage.objects.get(study=study, original_name="img2.jpg")
    corrected = _square(40, 56, top=1)
    _revise(MaskTarget(image=still), corrected, make_user(Role.ANNOTATOR))

    coco = api_client.get(f"/api/studies/{study.pk}/export/?format=coco").json()
    by_file = {i["file_name"]: i["id"] for i in coco["images"]}
    anns = {a["image_id"]: a for a in coco["annotations"]}
    revised = anns[by_file["images/img2.jpg"]]
    assert revised["source"] == "revision" and np.array_equal(rle.decode(revised["segmentation"]["counts"], 40, 56),
                                                              corrected)
    kept = anns[by_file["images/img0.jpg"]]
    assert kept["source"] == "ground_truth"
    assert np.array_equal(rle.decode(kept["segmentation"]["counts"], 40, 56), truths["img0.jpg"])

    response = api_client.get(f"/api/studies/{study.pk}/export/?format=kvasir")
    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as zf:
        exported = cv2.imdecode(np.frombuffer(zf.read("masks/img2.png"), np.uint8), cv2.IMREAD_GRAYSCALE)
    assert np.array_equal(exported > 0, corrected)
