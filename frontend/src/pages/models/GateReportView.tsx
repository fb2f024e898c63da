// The promotion gate's report: candidate vs active per metric, the Dice difference and its interval,
// each check with its sentence, and per holdout patient the two Dice side by side.
import type { GateReport } from "../../api/types";
import { describeRule, formatInterval, formatScore, gateRows } from "./gate";
import { axisRange, innerBox, linearScale, patientRows, ticks } from "./plot";

export function GateReportView({ report }: { report: GateReport }) {
  const rows = gateRows(report);
  return (
    <div className="gate-report" data-testid="gate-report" data-passed={report.passed}>
      <p>
        <span className={`badge ${report.passed ? "tone-ok" : "tone-bad"}`}>Gate {report.passed ? "passed" : "failed"}</span>{" "}
        <span className="small muted">
          Holdout: {report.holdout.images} images from {report.holdout.patients} {report.holdout.patients === 1 ? "patient" : "patients"}. Rule: {describeRule(report.rule)}.
        </span>
      </p>
      <table className="grid compact">
        <thead>
          <tr>
            <th>Metric</th>
            <th className="num">Candidate</th>
            <th className="num">Active</th>
            <th className="num">Difference</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.key} data-testid="gate-row" data-metric={row.key}>
              <td>
                {row.label}
                {row.guarded && <span className="muted small" title="guarded: may not drop more than the rule allows"> (guarded)</span>}
              </td>
              <td className="num">{row.candidate}</td>
              <td className="num">{row.active}</td>
              <td className={`num trend-${row.trend ?? "none"}`}>{row.diff}</td>
            </tr>
          ))}
          <tr>
            <td>
              Dice difference, paired over the holdout
              {report.dice_diff.resampled && (
                <span className="muted small"> (bootstrap over {report.dice_diff.resampled === "patients" ? "patients" : "images: fewer than 3 holdout patients"})</span>
              )}
            </td>
            <td className="num" colSpan={3} data-testid="gate-interval">
              {formatInterval(report.dice_diff)}
            </td>
          </tr>
        </tbody>
      </table>
      <ul className="checks">
        {report.checks.map((check) => (
          <li key={check.name} data-testid="gate-check" data-passed={check.passed}>
            <span className={check.passed ? "ok" : "error"} aria-label={check.passed ? "passed" : "failed"}>
              {check.passed ? "✓" : "✗"}
            </span>{" "}
            <span className="mono small">{check.name}</span> {check.detail}
          </li>
        ))}
      </ul>
      {report.per_patient.length > 0 && <PatientPlot report={report} />}
    </div>
  );
}

const ROW_HEIGHT = 18;
const LEFT = 120;
const RIGHT = 70;
const WIDTH = 520;

/** One row per holdout patient: a grey dot at the active Dice, a coloured one at the candidate's, joined. */
function PatientPlot({ report }: { report: GateReport }) {
  const rows = patientRows(report.per_patient);
  const height = rows.length * ROW_HEIGHT + 34;
  const box = innerBox({ width: WIDTH, height, left: LEFT, right: RIGHT, top: 6, bottom: 28 });
  const range = axisRange(rows.flatMap((r) => [r.active, r.candidate]), { floor: 0, ceiling: 1 });
  const x = linearScale(range, [box.x0, box.x1]);
  return (
    <figure className="plot">
      <figcaption className="small">
        Dice per holdout patient: <span className="swatch-dot active-dot" /> active, <span className="swatch-dot candidate-dot" /> candidate (largest drop first)
      </figcaption>
      <svg viewBox={`0 0 ${WIDTH} ${height}`} role="img" aria-label="Dice per holdout patient" data-testid="patient-plot">
        {ticks(range).map((t) => (
          <g key={t} className="plot-grid">
            <line x1={x(t)} x2={x(t)} y1={box.y0} y2={box.y1} />
            <text x={x(t)} y={box.y1 + 14} textAnchor="middle">
              {Number(t.toFixed(3))}
            </text>
          </g>
        ))}
        {rows.map((row, i) => {
          const cy = box.y0 + i * ROW_HEIGHT + ROW_HEIGHT / 2;
          const tone = row.change > 0 ? "up" : row.change < 0 ? "down" : "same";
          return (
            <g key={row.patient} data-testid="patient-row" data-patient={row.patient}>
              <title>{`${row.patient}: ${row.frames} frames, active ${formatScore(row.active)}, candidate ${formatScore(row.candidate)}`}</title>
              <text className="plot-label" x={box.x0 - 8} y={cy} textAnchor="end" dominantBaseline="middle">
                {row.patient} ({row.frames})
              </text>
              <line className={`patient-link trend-${tone}`} x1={x(row.active)} x2={x(row.candidate)} y1={cy} y2={cy} />
              <circle className="active-dot" cx={x(row.active)} cy={cy} r={4} />
              <circle className={`candidate-dot trend-${tone}`} cx={x(row.candidate)} cy={cy} r={4} />
              <text className={`plot-label trend-${tone}`} x={box.x1 + 8} y={cy} dominantBaseline="middle">
                {row.change >= 0 ? "+" : "\u2212"}
                {Math.abs(row.change).toFixed(3)}
              </text>
            </g>
          );
        })}
        <text className="plot-label" x={box.x1} y={height - 2} textAnchor="end">
          Dice
        </text>
      </svg>
    </figure>
  );
}
