// Names, not ids: how a study is named in titles, breadcrumbs and the report.

export interface NamedStudy {
  patient_pseudo_id: string;
  date: string;
}

/** "PX-0001 · 2026-11-02": the patient's pseudonym and the procedure's date. */
export function studyName(study: NamedStudy): string {
  return `${study.patient_pseudo_id} · ${study.date}`;
}

/** The browser tab's title of a page about a study ("PX-0001 · 2026-11-02 – Polypscope"). */
export function studyDocumentTitle(study: NamedStudy, page?: string): string {
  return `${page ? `${page}: ` : ""}${studyName(study)} – Polypscope`;
}
