"""The study report read at sign-off (GET /api/studies/{id}/report/): the procedure, who signed it off and when,
every video with its polyp events and their current verdicts, the reviewers and the model versions.

A read only, in a handful of queries whatever the study's size (events and their verdict histories are
prefetched); the page that prints it builds the thumbnails from the frame preview endpoint
(GET /api/videos/{id}/frames/{i}/image.jpg?width=).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Prefetch
from django.utils import timezone

from webapp.annotations.models import MaskRevision, Verdict, VerdictValue
from webapp.audit.models import Action, AuditEntry
from webapp.studies.models import Mask, MaskSource, StillImage, Study, StudyStatus
from webapp.videos.models import PolypEvent, Video, VideoStatus

# Width of the peak-frame thumbnails the report links to: two to a printed A4 row at 150 dpi.
THUMBNAIL_WIDTH = 480


@dataclass
class _Versions:
    """Model versions by id, with how many videos and still images each one segmented."""

    names: dict[int, str] = field(default_factory=dict)
    videos: Counter = field(default_factory=Counter)
    images: Counter = field(default_factory=Counter)

    def as_list(self) -> list[dict]:
        return [{"id": pk, "version": self.names[pk], "videos": self.videos[pk], "images": self.images[pk]}
                for pk in sorted(self.names)]


def study_signed_off(*, study: Study) -> dict | None:
    """Who closed the study and when (the audit log's newest move to closed), or None while it is not closed."""
    if study.status != StudyStatus.CLOSED:
        return None
    entry = (AuditEntry.objects.filter(action=Action.STUDY_STATUS, target_type=Study._meta.label_lower,
                                       target_id=str(study.pk), detail__to=StudyStatus.CLOSED)
             .order_by("-at", "-id").first())
    if entry is None:  # closed by other means (the Django admin, a migration): the report still says so
        return {"by": None, "at": None}
    return {"by": entry.actor_username or None, "at": entry.at}


def _event(event: PolypEvent) -> dict:
    history = event.verdict_history  # newest first (the Prefetch below)
    current = history[0] if history else None
    return {
        "id": event.pk, "start_index": event.start_index, "end_index": event.end_index,
        "peak_index": event.peak_index, "peak_score": event.peak_score, "start_s": event.start_s,
        "end_s": event.end_s,
        "thumbnail": f"/api/videos/{event.video_id}/frames/{event.peak_index}/image.jpg?width={THUMBNAIL_WIDTH}",
        "mask": f"/api/videos/{event.video_id}/frames/{event.peak_index}/mask.png",
        "verdict": None if current is None else {
            "value": current.value, "note": current.note, "reviewer": current.reviewer.username,
            "created_at": current.created_at,
        },
        "earlier_verdicts": max(len(history) - 1, 0),
    }


def study_report(*, study: Study) -> dict:
    """Everything the sign-off report shows, as plain data (StudyReportSerializer documents it)."""
    verdicts = Prefetch("verdicts", queryset=Verdict.objects.select_related("reviewer").order_by("-created_at", "-id"),
                        to_attr="verdict_history")
    events = Prefetch("events", queryset=PolypEvent.objects.order_by("start_index").prefetch_related(verdicts),
                      to_attr="event_list")
    videos = list(Video.objects.filter(study=study).select_related("model_version").prefetch_related(events)
                  .order_by("created_at", "id"))
    versions = _Versions()
    counts: Counter = Counter()
    reviewers: set[str] = set()
    video_rows = []
    for video in videos:
        if video.model_version is not None:
            versions.names[video.model_version_id] = video.model_version.version
            versions.videos[video.model_version_id] += 1
        rows = [_event(e) for e in video.event_list]
        for row in rows:
            if row["verdict"] is not None:
                counts[row["verdict"]["value"]] += 1
                reviewers.add(row["verdict"]["reviewer"])
            elif video.status == VideoStatus.DONE:
                counts["pending"] += 1
        video_rows.append({
            "id": video.pk, "original_name": video.original_name, "status": video.status,
            "frame_count": video.frame_count, "fps": video.fps, "duration_s": video.duration_s,
            "model_version": video.model_version.version if video.model_version else None,
            "finished_at": video.finished_at, "events": rows,
        })
    predictions = (Mask.objects.filter(image__study=study, source=MaskSource.MODEL)
                   .values_list("model_version_id", "model_version__version"))
    for pk, name in predictions:
        versions.names[pk] = name
        versions.images[pk] += 1
    images = StillImage.objects.filter(study=study)
    return {
        "study": {"id": study.pk, "patient_pseudo_id": study.patient.pseudo_id, "date": study.date,
                  "indication": study.indication, "status": study.status, "owner": study.owner.username},
        "signed_off": study_signed_off(study=study),
        "generated_at": timezone.now(),
        "members": [{"id": u.pk, "username": u.username, "role": u.role}
                    for u in study.members.order_by("username")],
        "reviewers": sorted(reviewers),
        "model_versions": versions.as_list(),
        "summary": {
            "videos": len(videos),
            "events": sum(len(v["events"]) for v in video_rows),
            **{value: counts[value] for value in VerdictValue.values},
            "pending": counts["pending"],
            "images": images.count(),
            "images_with_ground_truth": images.filter(
                Exists(Mask.objects.filter(image=OuterRef("pk"), source=MaskSource.GROUND_TRUTH))).count(),
            "images_corrected": images.filter(Exists(MaskRevision.objects.filter(image=OuterRef("pk")))).count(),
        },
        "videos": video_rows,
    }
