// Two kept simulations of the same process, decision, scope and population side by side: both
// heat maps, both before/after bars (for a collection strategy both contacts-per-day charts,
// for the whole process both sides' process figures and workload), and what the second draft
// does differently from the first in totals. Simulations of different scopes (the table alone,
// the whole process) or populations (kind, window, filter, replay days) are not lined up: their
// figures count different things or different cases.
import { gql } from './api.js';
import { drawCharts } from './simulation_charts.js';
import { drawProcess, processDifference, signed } from './compare_process.js';
import { renderProcess } from './process_figures.js';
import { escape } from './html.js';

const LIST = `query ($process: String!) { simulations(processId: $process, first: 50) {
  edges { node { id decisionId againstVersion status ranBy ranAt population totals { cases changed } } } } }`;

const $ = (id) => document.getElementById(id);

// Decimal strings to the cent as integer cents, and back: no float in money.
function cents(amount) {
  const [whole, part = ''] = String(amount).replace('-', '').split('.');
  const value = BigInt(whole) * 100n + BigInt((part + '00').slice(0, 2));
  return String(amount).startsWith('-') ? -value : value;
}

function money(value) {
  const sign = value < 0n ? '-' : '';
  const abs = value < 0n ? -value : value;
  return `${sign}${abs / 100n}.${String(abs % 100n).padStart(2, '0')}`;
}

const signedMoney = (v) => (v > 0n ? `+${money(v)}` : money(v));

function canonical(value) {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function describe(population) {
  const p = population;
  const narrowed = [...(p.filter?.productCodes || []), ...(p.filter?.statuses || [])];
  return `${p.kind.toLowerCase()} ${p.from} to ${p.to}${narrowed.length ? ` (${narrowed.join(', ')})` : ''}`
    + `${p.replayDays ? `, ${p.replayDays} replay days` : ''}${p.scope ? `, scope ${p.scope}` : ''}`;
}

// What a simulation ran: a population kept without a scope ran the table alone.
const SCOPES = { TABLE: 'the decision table alone', PROCESS: 'the whole process' };
const scopeOf = (s) => s.population.scope || 'TABLE';
const ran = (s) => `${SCOPES[scopeOf(s)] || 'another scope'} (scope ${scopeOf(s)})`;

// Why two simulations cannot be lined up, or null when they can.
function whyNot(a, b) {
  if (a.id === b.id) return 'pick two different simulations';
  if (a.decisionId !== b.decisionId) {
    return `simulation ${a.id} ran ${a.decisionId} and simulation ${b.id} ran ${b.decisionId}: compare simulations of the same table`;
  }
  const differing = Object.keys({ ...a.population, ...b.population })
    .filter((k) => k !== 'scope' && canonical(a.population[k]) !== canonical(b.population[k]));
  if (scopeOf(a) !== scopeOf(b)) {
    return `simulation ${a.id} ran ${ran(a)} and simulation ${b.id} ran ${ran(b)}: scope differs${differing.length ? ` (and ${differing.join(', ')})` : ''}, `
      + `so one counts the table's outcomes and the other the process's decisions: simulate both drafts with the same Run choice`;
  }
  if (differing.length) {
    return `simulations ${a.id} and ${b.id} ran on different populations (${describe(a.population)}; ${describe(b.population)}: `
      + `${differing.join(', ')} differ), so their figures count different cases: simulate both drafts on the same window`;
  }
  return null;
}

function label(s) {
  return `#${s.id} ${s.decisionId}, ${describe(s.population)}: ${s.totals.changed} of ${s.totals.cases} changed`
    + ` (${s.status.toLowerCase()}, ${s.ranBy})`;
}

function column(s, key) {
  const t = s.totals;
  const replay = s.collections
    ? `<p class="muted">Replayed ${s.collections.loans} loan(s): ${s.collections.old.contacts} contact(s) in force, ${s.collections.new.contacts} with the draft</p>
       <div id="compare-${key}-contacts" class="chart"></div>`
    : '';
  return `<div class="compare-side" data-simulation-id="${s.id}" style="flex: 1; min-width: 0">
    <h4>Simulation ${s.id} against version ${s.againstVersion}</h4>
    <p id="compare-${key}-summary">${t.cases} case(s), ${t.changed} change outcome (amount ${escape(t.changedAmount)} of ${escape(t.amount)})</p>
    <div id="compare-${key}-heatmap" class="chart"></div><div id="compare-${key}-bars" class="chart"></div>${replay}
    ${renderProcess(s.process, `compare-${key}`)}</div>`;
}

function outcomeRows(a, b) {
  const count = (list, name) => list.find((o) => o.outcome === name) || { count: 0, amount: '0.00' };
  const names = [...new Set([...a.totals.new, ...b.totals.new].map((o) => o.outcome))].sort();
  return names.map((name) => {
    const [x, y] = [count(a.totals.new, name), count(b.totals.new, name)];
    return `<tr class="compare-outcome" data-outcome="${escape(name)}"><td>${escape(name)}</td><td>${x.count}</td><td>${y.count}</td>
      <td>${signed(y.count - x.count)}</td><td>${signedMoney(cents(y.amount) - cents(x.amount))}</td></tr>`;
  }).join('');
}

// The difference of the second simulation's totals from the first's.
function difference(a, b) {
  const [ta, tb] = [a.totals, b.totals];
  const changed = tb.changed - ta.changed;
  const amount = cents(tb.changedAmount) - cents(ta.changedAmount);
  const notes = [];
  if (ta.cases !== tb.cases) notes.push(`the population counted ${ta.cases} then ${tb.cases} case(s): history changed between the two runs`);
  if (a.againstVersion !== b.againstVersion) notes.push(`they ran against versions ${a.againstVersion} and ${b.againstVersion}`);
  const contacts = a.collections && b.collections
    ? `; contacts with the draft ${signed(b.collections.new.contacts - a.collections.new.contacts)} (${a.collections.new.contacts} → ${b.collections.new.contacts})`
    : '';
  return `<p id="compare-difference">Simulation ${b.id} against ${a.id}: cases changed ${signed(changed)} (${ta.changed} → ${tb.changed}),
      changed amount ${signedMoney(amount)} (${escape(ta.changedAmount)} → ${escape(tb.changedAmount)})${contacts}.</p>
    ${notes.map((n) => `<p class="muted compare-note">Note: ${escape(n)}.</p>`).join('')}
    <table id="compare-outcomes"><tr><th>draft outcome</th><th>#${a.id}</th><th>#${b.id}</th><th>cases</th><th>amount</th></tr>${outcomeRows(a, b)}</table>`;
}

function panel() {
  const box = document.createElement('div');
  box.id = 'compare-panel';
  box.innerHTML = `<h4>Compare two kept simulations side by side</h4>
    <label>First <select id="compare-first"></select></label>
    <label>second <select id="compare-second"></select></label>
    <button id="compare-go">Side by side</button>
    <div id="compare-result"></div>`;
  $('simulate-panel').appendChild(box);
}

// The Compare section of the Simulate view: `read` is the query of one simulation's report.
export function setupComparison({ state, status, read }) {
  panel();
  let kept = [];
  let listed = null; // the process the lists are of
  const refresh = async () => {
    if (!state.processId) return;
    listed = state.processId;
    kept = (await gql(LIST, { process: listed })).simulations.edges.map((e) => e.node);
    const options = () => kept.map((s) => new Option(label(s), s.id));
    $('compare-first').replaceChildren(...options());
    $('compare-second').replaceChildren(...options());
    // by default the newest beside the one before it (listed newest first)
    if (kept.length > 1) $('compare-first').value = String(kept[1].id);
    if (kept.length > 0) $('compare-second').value = String(kept[0].id);
  };
  $('compare-go').addEventListener('click', async () => {
    try {
      if (listed !== state.processId) {
        await refresh();
        status(`The lists now show the simulations of ${state.processId}: pick two`, 'error');
        return;
      }
      const pick = (id) => kept.find((s) => String(s.id) === $(id).value);
      const [first, second] = [pick('compare-first'), pick('compare-second')];
      if (!first || !second) { status('Simulate twice first: there is nothing to compare', 'error'); return; }
      const refused = whyNot(first, second);
      if (refused) {
        $('compare-result').innerHTML = `<p id="compare-refused" class="error">Not lined up: ${escape(refused)}.</p>`;
        status(`Not lined up: ${refused}`, 'error');
        return;
      }
      const [a, b] = await Promise.all([first, second].map(async (s) => (await gql(read, { id: s.id })).simulation));
      $('compare-result').innerHTML = `${difference(a, b)}${processDifference(a, b)}
        <div id="compare-sides" style="display: flex; gap: 1em">${column(a, 'first')}${column(b, 'second')}</div>`;
      await drawCharts(a, 'compare-first');
      await drawCharts(b, 'compare-second');
      await drawProcess(a, b);
      status(`Simulations ${a.id} and ${b.id} side by side`, 'ok');
    } catch (err) {
      status(err.message, 'error');
    }
  });
  return refresh;
}
