import { studyExportUrl } from "./studyApi";

/** Downloads of the study's current labels: a Kvasir-SEG zip, or COCO JSON (audited by the server). */
export function ExportLinks({ studyId, compact = false }: { studyId: number; compact?: boolean }) {
  return (
    <span className="export-links" onClick={(e) => e.stopPropagation()}>
      {!compact && <span className="muted small">Export labels:</span>}
      <a className={compact ? "small" : "button"} href={studyExportUrl(studyId, "kvasir")} download data-testid="export-kvasir" title="Kvasir-SEG zip: images/ and masks/ of every labelled image and frame">
        {compact ? "Kvasir zip" : "Kvasir-SEG zip"}
      </a>
      <a className={compact ? "small" : "button"} href={studyExportUrl(studyId, "coco")} download data-testid="export-coco" title="COCO JSON with RLE segmentations">
        COCO
      </a>
    </span>
  );
}
