// The audit page's charts, bundled with Chart.js by `npm run build:assets` into dist/audit-charts.js
// (nothing is fetched at run time). Exposes window.AuditCharts: render(summary, groupBy) and clear().
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, LineController, LineElement, PointElement, Title, Tooltip } from "chart.js";

Chart.register(BarController, BarElement, CategoryScale, LinearScale, LineController, LineElement, PointElement, Legend, Title, Tooltip);
Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
Chart.defaults.animation = false;
Chart.defaults.maintainAspectRatio = false;

const PALETTE = ["#1f6feb", "#d1242f", "#1a7f37", "#9a6700", "#8250df", "#bf3989", "#0a7285", "#6e7781", "#cf222e", "#116329"];
const LEVEL_COLOURS = { L1: "#2da44e", L2: "#54aeff", L3: "#d4a72c", L4: "#cf222e" };
const HOUR = 3_600_000;
const MAX_GROUPS = 8;
const charts = new Map();

function draw(id, config) {
  charts.get(id)?.destroy();
  const canvas = document.getElementById(id);
  if (canvas) charts.set(id, new Chart(canvas, config));
}

const pad = (n) => String(n).padStart(2, "0");

/** Buckets of the range: hours, or days when the range is longer than three days. */
function bucketsOf(since, until) {
  const byDay = until - since > 72 * HOUR;
  const keys = [];
  const labels = [];
  const keyOf = (time) => {
    const d = new Date(time);
    return byDay ? `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}` : `${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:00`;
  };
  for (let t = since; t < until; t += HOUR) {
    const key = keyOf(t);
    if (keys[keys.length - 1] !== key) {
      keys.push(key);
      labels.push(key);
    }
  }
  return { keys, labels, keyOf };
}

function timeSeries(summary, groupBy) {
  const since = new Date(summary.since).getTime();
  const until = new Date(summary.until).getTime();
  const { keys, labels, keyOf } = bucketsOf(since, until);
  const index = new Map(keys.map((key, i) => [key, i]));
  const sum = (values) => values.reduce((total, value) => total + value, 0);
  // One row per app and purpose, one value per hour of summary.hourly.hours.
  const { hours, rows } = summary.hourly;
  const totals = new Map();
  for (const row of rows) {
    const group = row[groupBy] || "(none)";
    totals.set(group, (totals.get(group) ?? 0) + sum(row.reads) + sum(row.denials));
  }
  const top = [...totals].sort((a, b) => b[1] - a[1]).slice(0, MAX_GROUPS).map(([group]) => group);
  const groupOf = (row) => (top.includes(row[groupBy] || "(none)") ? row[groupBy] || "(none)" : "others");
  const groups = [...top, ...(totals.size > top.length ? ["others"] : [])];
  const reads = new Map(groups.map((g) => [g, new Array(keys.length).fill(0)]));
  const denials = new Map(groups.map((g) => [g, new Array(keys.length).fill(0)]));
  const bucketOf = hours.map((hour) => index.get(keyOf(new Date(hour).getTime())));
  for (const row of rows) {
    const groupReads = reads.get(groupOf(row));
    const groupDenials = denials.get(groupOf(row));
    bucketOf.forEach((i, h) => {
      if (i === undefined) return;
      groupReads[i] += row.reads[h];
      groupDenials[i] += row.denials[h];
    });
  }
  const datasets = groups.flatMap((group, n) => {
    const colour = group === "others" ? "#999999" : PALETTE[n % PALETTE.length];
    return [
      { label: `${group} reads`, data: reads.get(group), borderColor: colour, backgroundColor: colour, pointRadius: 2, borderWidth: 2 },
      { label: `${group} denials`, data: denials.get(group), borderColor: colour, backgroundColor: colour, borderDash: [5, 4], pointRadius: 2, pointStyle: "crossRot", borderWidth: 2 },
    ];
  });
  return { labels, datasets };
}

const axes = (x, y) => ({ x: { title: { display: true, text: x } }, y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: y } } });

function render(summary, groupBy) {
  draw("chart-time", {
    type: "line",
    data: timeSeries(summary, groupBy),
    options: { scales: axes("time", "requests"), plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } } },
  });
  draw("chart-agencies", {
    type: "bar",
    data: { labels: summary.agencies.map((a) => a.agency), datasets: [{ label: "requests that released data", data: summary.agencies.map((a) => a.reads), backgroundColor: PALETTE[0] }] },
    options: { scales: axes("agency", "reads"), plugins: { legend: { display: false } } },
  });
  draw("chart-levels", {
    type: "bar",
    data: { labels: summary.levels.map((l) => l.level), datasets: [{ label: "field reads", data: summary.levels.map((l) => l.reads), backgroundColor: summary.levels.map((l) => LEVEL_COLOURS[l.level] ?? PALETTE[7]) }] },
    options: { scales: axes("level", "field reads"), plugins: { legend: { display: false } } },
  });
  draw("chart-reach", {
    type: "bar",
    data: { labels: summary.topApps.map((a) => a.app), datasets: [{ label: "distinct citizens", data: summary.topApps.map((a) => a.citizens), backgroundColor: PALETTE[4] }] },
    options: { indexAxis: "y", scales: { x: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: "distinct citizens" } } }, plugins: { legend: { display: false } } },
  });
}

function clear() {
  for (const chart of charts.values()) chart.destroy();
  charts.clear();
}

window.AuditCharts = { render, clear };
