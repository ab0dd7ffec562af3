// The charts of a simulation's report, drawn into the elements `${prefix}-heatmap`, `-bars`
// and, for a collection strategy's replay, `-contacts` and `-workload` (absent ones skipped):
// the Simulate view draws one simulation, the comparison two side by side.
const $ = (id) => document.getElementById(id);

function outcomes(simulation) {
  const names = new Set();
  for (const c of simulation.cells) { names.add(c.old); names.add(c.new); }
  return [...names].sort();
}

export async function drawCharts(simulation, prefix = 'simulation') {
  const echarts = await import('echarts');
  const names = outcomes(simulation);
  const heat = echarts.init($(`${prefix}-heatmap`));
  const max = Math.max(1, ...simulation.cells.map((c) => c.count));
  heat.setOption({
    animation: false,
    title: { text: `${simulation.outcomeOutput}: in force (rows) × draft (columns)`, textStyle: { fontSize: 12 } },
    tooltip: { formatter: (p) => `${names[p.value[1]]} → ${names[p.value[0]]}: ${p.value[2]} case(s)` },
    grid: { left: 90, top: 30, bottom: 30, right: 20 },
    xAxis: { type: 'category', data: names },
    yAxis: { type: 'category', data: names },
    visualMap: { min: 0, max, show: false, inRange: { color: ['#f4f6fa', '#1d4ed8'] } },
    series: [{
      type: 'heatmap', label: { show: true },
      data: simulation.cells.map((c) => [names.indexOf(c.new), names.indexOf(c.old), c.count]),
    }],
  });
  if (simulation.collections) drawReplay(echarts, simulation.collections, prefix);
  const bars = echarts.init($(`${prefix}-bars`));
  const count = (list, name) => (list.find((o) => o.outcome === name) || { count: 0 }).count;
  bars.setOption({
    animation: false,
    legend: { data: ['in force', 'draft'] },
    tooltip: {},
    grid: { left: 50, top: 30, bottom: 30, right: 10 },
    xAxis: { type: 'category', data: names },
    yAxis: { type: 'value' },
    series: [
      { name: 'in force', type: 'bar', data: names.map((n) => count(simulation.totals.old, n)) },
      { name: 'draft', type: 'bar', data: names.map((n) => count(simulation.totals.new, n)) },
    ],
  });
}

const SIDES = [['old', 'in force'], ['new', 'draft']];

// Contacts per channel per day as stacked bars (one stack per side), and tasks per collector.
function drawReplay(echarts, replay, prefix) {
  const channels = [...new Set(SIDES.flatMap(([side]) => replay[side].channels.map((c) => c.channel)))].sort();
  const contacts = echarts.init($(`${prefix}-contacts`));
  contacts.setOption({
    animation: false,
    title: { text: 'Contacts per day after the contact policy', textStyle: { fontSize: 12 } },
    legend: { top: 18, type: 'scroll' },
    tooltip: { trigger: 'axis' },
    grid: { left: 40, top: 50, bottom: 30, right: 10 },
    xAxis: { type: 'category', data: replay.dates.map((d) => d.slice(5)) },
    yAxis: { type: 'value' },
    series: SIDES.flatMap(([side, label]) => channels.map((channel) => ({
      name: `${channel} (${label})`, type: 'bar', stack: label,
      data: (replay[side].channels.find((c) => c.channel === channel) || { perDay: replay.dates.map(() => 0) }).perDay,
    }))),
  });
  const names = [...new Set(SIDES.flatMap(([side]) => replay[side].workload.map((w) => w.collector ?? 'no collector')))].sort();
  const tasks = (side, name) => (replay[side].workload.find((w) => (w.collector ?? 'no collector') === name) || { tasks: 0 }).tasks;
  if (!$(`${prefix}-workload`)) return;
  const workload = echarts.init($(`${prefix}-workload`));
  workload.setOption({
    animation: false,
    title: { text: 'Calls and visits per collector', textStyle: { fontSize: 12 } },
    legend: { top: 18, data: SIDES.map(([, label]) => label) },
    tooltip: {},
    grid: { left: 50, top: 50, bottom: 30, right: 10 },
    xAxis: { type: 'category', data: names },
    yAxis: { type: 'value' },
    series: SIDES.map(([side, label]) => ({ name: label, type: 'bar', data: names.map((n) => tasks(side, n)) })),
  });
}
