// Simulate: the draft's decision table and the version in force run side by side on past cases
// (nothing stored but the simulation itself, nothing sent); the report as a heat map of old ×
// new outcomes, before/after bars and the changed cases. A deploy then cites the simulation.
import { gql } from './api.js';

const SIMULATE = `mutation ($input: SimulateInput!) { simulate(input: $input) { __typename
  ... on SimulateSuccess { simulation { id processId decisionId againstVersion outcomeOutput seconds
    cells { old new count amount }
    totals { cases amount changed changedAmount old { outcome count amount } new { outcome count amount } }
    observed { label loans defaulted worstDpd }
    changedCases { caseId customerId amount old { outcome rules { id annotation } } new { outcome rules { id annotation } } } } }
  ... on UserError { message } } }`;
const TODAY = '{ businessDate }';

const $ = (id) => document.getElementById(id);
const escape = (text) => String(text).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

function addDays(day, days) {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

function outcomes(simulation) {
  const names = new Set();
  for (const c of simulation.cells) { names.add(c.old); names.add(c.new); }
  return [...names].sort();
}

async function drawCharts(simulation) {
  const echarts = await import('echarts');
  const names = outcomes(simulation);
  const heat = echarts.init($('simulation-heatmap'));
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
  const bars = echarts.init($('simulation-bars'));
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

function rules(decision) {
  return decision.rules.map((r) => escape(r.annotation || r.id)).join('; ');
}

function renderCases(simulation) {
  if (simulation.changedCases === null) {
    return '<p id="simulation-cases" class="muted">Changed cases: your role may not read these cases; the figures above are all you see.</p>';
  }
  const rows = simulation.changedCases.map((c) => `<li class="changed-case" data-case-id="${c.caseId}">
    #${c.caseId} (${escape(c.amount)}): <b>${escape(c.old.outcome)}</b> → <b>${escape(c.new.outcome)}</b>
    <span class="muted">was ${rules(c.old)}; now ${rules(c.new)}</span></li>`).join('');
  return `<ul id="simulation-cases">${rows || '<li class="muted">No case changes its outcome.</li>'}</ul>`;
}

function render(simulation) {
  const t = simulation.totals;
  const observed = simulation.observed
    ? `<p class="muted" id="simulation-observed">${escape(simulation.observed.label)}: ${simulation.observed.loans} loan(s) granted among the changed cases, ${simulation.observed.defaulted} defaulted, worst ${simulation.observed.worstDpd} days past due.</p>`
    : '';
  $('simulation-result').innerHTML = `
    <p id="simulation-summary">Simulation ${simulation.id} against version ${simulation.againstVersion}:
      ${t.cases} case(s), ${t.changed} change outcome (amount ${escape(t.changedAmount)} of ${escape(t.amount)}), in ${simulation.seconds.toFixed(2)} s.</p>
    <div class="charts"><div id="simulation-heatmap" class="chart"></div><div id="simulation-bars" class="chart"></div></div>
    ${observed}${renderCases(simulation)}`;
  return drawCharts(simulation);
}

export function setupSimulation({ currentXml, state, status }) {
  $('simulate').addEventListener('click', async () => {
    const panel = $('simulate-panel');
    panel.hidden = !panel.hidden;
    if (!$('simulate-to').value) {
      const today = (await gql(TODAY)).businessDate;
      $('simulate-to').value = today;
      $('simulate-from').value = addDays(today, -90);
    }
    const tables = Object.keys(state.tables);
    $('simulate-decision').replaceChildren(...tables.map((id) => new Option(id, id)));
    if (state.openTable) $('simulate-decision').value = state.openTable;
  });
  $('simulate-go').addEventListener('click', async () => {
    try {
      const { xml, dmns } = await currentXml();
      const input = {
        processId: state.processId, decisionId: $('simulate-decision').value || null,
        draft: { bpmnXml: xml, dmnXmls: dmns },
        population: { kind: $('simulate-kind').value, from: $('simulate-from').value, to: $('simulate-to').value },
      };
      status('Simulating on past cases…');
      const result = (await gql(SIMULATE, { input })).simulate;
      if (result.__typename !== 'SimulateSuccess') { status(result.message, 'error'); return; }
      state.simulationId = result.simulation.id;
      await render(result.simulation);
      status(`Simulated: ${result.simulation.totals.changed} of ${result.simulation.totals.cases} case(s) change; Deploy cites simulation ${result.simulation.id}`, 'ok');
    } catch (err) {
      status(err.message, 'error');
    }
  });
}
