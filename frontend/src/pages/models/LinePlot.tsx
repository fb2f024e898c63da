// One series per epoch as an SVG line with dots (hand-written: the scaling lives in plot.ts).
import { axisRange, epochTicks, innerBox, linearScale, seriesDots, seriesPath, ticks, type Frame, type Point, type RangeOptions } from "./plot";

const FRAME: Frame = { width: 360, height: 180, left: 44, right: 10, top: 10, bottom: 26 };

export function LinePlot({ title, points, epochs, range, className, testId }: { title: string; points: Point[]; epochs: number; range?: RangeOptions; className: string; testId: string }) {
  const box = innerBox(FRAME);
  const lastEpoch = Math.max(epochs, ...points.map((p) => p.x), 1);
  const yRange = axisRange(
    points.map((p) => p.y),
    range,
  );
  const x = linearScale([1, Math.max(2, lastEpoch)], [box.x0, box.x1]);
  const y = linearScale(yRange, [box.y1, box.y0]);
  const path = seriesPath(points, x, y);
  const dots = seriesDots(points, x, y);
  const last = [...points].reverse().find((p) => p.y !== null);
  return (
    <figure className="plot">
      <figcaption className="small">
        {title}
        {last && last.y !== null && <span className="muted"> · epoch {last.x}: {last.y.toFixed(4)}</span>}
      </figcaption>
      <svg viewBox={`0 0 ${FRAME.width} ${FRAME.height}`} role="img" aria-label={title} data-testid={testId} data-points={dots.length}>
        {ticks(yRange).map((t) => (
          <g key={`y${t}`} className="plot-grid">
            <line x1={box.x0} x2={box.x1} y1={y(t)} y2={y(t)} />
            <text x={box.x0 - 4} y={y(t)} textAnchor="end" dominantBaseline="middle">
              {Number(t.toFixed(4))}
            </text>
          </g>
        ))}
        {epochTicks(lastEpoch).map((e) => (
          <text key={`x${e}`} className="plot-label" x={x(e)} y={box.y1 + 16} textAnchor="middle">
            {e}
          </text>
        ))}
        <text className="plot-label" x={box.x1} y={FRAME.height - 1} textAnchor="end">
          epoch
        </text>
        <line className="plot-axis" x1={box.x0} x2={box.x0} y1={box.y0} y2={box.y1} />
        <line className="plot-axis" x1={box.x0} x2={box.x1} y1={box.y1} y2={box.y1} />
        {path && <path className={`plot-line ${className}`} d={path} />}
        {dots.map((d, i) => (
          <circle key={i} className={`plot-dot ${className}`} cx={d.cx} cy={d.cy} r={2.5} />
        ))}
        {dots.length === 0 && (
          <text className="plot-label" x={(box.x0 + box.x1) / 2} y={(box.y0 + box.y1) / 2} textAnchor="middle">
            no epoch finished yet
          </text>
        )}
      </svg>
    </figure>
  );
}
