// A button that opens the browser's file picker (a label over a hidden file input), shared by the uploads of the
// study pages. The input is cleared after each choice, so choosing the same file again (a retry) fires again.
interface Props {
  label: string;
  testId: string;
  accept: string;
  busy: boolean;
  multiple?: boolean;
  title?: string;
  onFiles: (files: File[]) => void;
}

export function FileButton({ label, testId, accept, busy, multiple = false, title, onFiles }: Props) {
  return (
    <label className={`button${busy ? " disabled" : ""}`} title={title}>
      {label}
      <input
        data-testid={testId}
        type="file"
        multiple={multiple}
        accept={accept}
        disabled={busy}
        onChange={(e) => {
          const files = Array.from(e.target.files ?? []);
          e.target.value = "";
          if (files.length > 0) onFiles(multiple ? files : files.slice(0, 1));
        }}
      />
    </label>
  );
}
