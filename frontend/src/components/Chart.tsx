import "uplot/dist/uPlot.min.css";

import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";

/** The axis style every chart shares. */
export const AXIS = { stroke: "#4b5563", grid: { stroke: "#e5e7eb", width: 1 }, ticks: { stroke: "#d1d5db", width: 1 }, font: "12px system-ui, sans-serif" };

interface Props {
  /** uPlot options without the size (the chart fills its container's width). */
  options: Omit<uPlot.Options, "width" | "height">;
  data: uPlot.AlignedData;
  height?: number;
  /** What the chart shows, for screen readers (the chart itself is a canvas). */
  summary: string;
  id?: string;
  /** Build the chart in a task of its own after the screen has painted (a screen with several charts). */
  defer?: boolean;
}

/** A uPlot chart sized to its container (and resized with it). */
export function Chart({ options, data, height = 220, summary, id, defer = false }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const latest = useRef(data);
  latest.current = data;

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    let u: uPlot | null = null;
    const ro = new ResizeObserver(() => {
      const w = Math.max(200, el.clientWidth);
      if (u && Math.abs(w - u.width) > 1) u.setSize({ width: w, height });
    });
    const build = () => {
      u = new uPlot({ ...options, width: Math.max(200, el.clientWidth), height }, latest.current, el);
      plot.current = u;
      ro.observe(el);
    };
    // Deferred, each chart is built in a task of its own after the screen around it has painted: the
    // dashboard's charts together were one long task right after its data arrived.
    const timer = defer ? setTimeout(build, 0) : undefined;
    if (!defer) build();
    return () => {
      clearTimeout(timer);
      ro.disconnect();
      u?.destroy();
      plot.current = null;
    };
    // Options are rebuilt by the caller when the language changes; data updates go through setData.
  }, [options, height]);

  useEffect(() => {
    plot.current?.setData(data);
  }, [data]);

  return (
    <figure class="chart" id={id}>
      <div ref={box} class="chart-canvas" role="img" aria-label={summary}/>
      <figcaption class="visually-hidden">{summary}</figcaption>
    </figure>
  );
}
