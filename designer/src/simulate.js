// Simulate: the draft's decision table and the version in force run side by side on past cases
// (nothing stored but the simulation itself, nothing sent); the report as a heat map of old ×
// new outcomes, before/after bars and the changed cases; for a collection strategy also the
// day-by-day replay: contacts per channel per day and tasks per collector, in force and draft.
// A deploy then cites the simulation. A window longer than a month runs in the background:
// progress and a Cancel button until it ends.
import { gql, token } from './api.js';
import { subscribe } from './live.js';
import { drawCharts } from './simulation_charts.js';
import { setupComparison } from './compare.js';
import { drawMovements, renderMovements } from './movements.js';
import { chooseKind } from './simulate_kind.js';
import { escape } from './html.js';
import { drawRoles, renderCasePaths, renderProcess, setupScopeChoice } from './process_figures.js';
import { CANCEL, POLL, QUEUE, SIMULATE, STREAM, TODAY } from './simulation_documents.js';

// a window longer than this many days is simulated in the background: queued for a worker,
// its progress shown (with a Cancel button) until it ends
const BACKGROUND_DAYS = 31;

const $ = (id) => document.getElementById(id);

function addDays(day, days) {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

function renderReplay(replay) {
  if (!replay) return '';
  const side = (key, label) => {
    const s = replay[key];
    const stopped = s.suppressions.map((x) => `<li class="suppression" data-side="${key}" data-rule="${escape(x.rule)}">${escape(label)}: ${x.count} ${escape(x.channel)} ${escape(x.effect.toLowerCase())} (${escape(x.reason)})</li>`).join('');
    return { summary: `${escape(label)} ${s.contacts} contact(s), ${s.suppressed} stopped and ${s.postponed} put off by the contact policy`, stopped };
  };
  const [old, draft] = [side('old', 'in force'), side('new', 'draft')];
  const c = replay.changed;
  return `<div id="simulation-collections">
    <p id="simulation-replay-summary">Replayed ${replay.loans} past-due loan(s) day by day from ${escape(replay.from)} to ${escape(replay.to)} (contacts at ${escape(replay.contactTime)}): ${old.summary}; ${draft.summary}.</p>
    <div class="charts"><div id="simulation-contacts" class="chart"></div><div id="simulation-workload" class="chart"></div></div>
    <ul id="simulation-suppressions">${old.stopped}${draft.stopped}</ul>
    <p class="muted" id="simulation-changed-loans">${escape(c.label)}: ${c.loans} loan(s) change strategy; ${c.cured} cured, ${c.rolled} rolled, ${c.chargedOff} charged off, ${c.stayed} stayed.</p></div>`;
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
    <span class="muted">was ${rules(c.old)}; now ${rules(c.new)}</span>${renderCasePaths(c)}</li>`).join('');
  return `<ul id="simulation-cases">${rows || '<li class="muted">No case changes its outcome.</li>'}</ul>`;
}

async function render(simulation) {
  const t = simulation.totals;
  const observed = simulation.observed
    ? `<p class="muted" id="simulation-observed">${escape(simulation.observed.label)}: ${simulation.observed.loans} loan(s) granted among the changed cases, ${simulation.observed.defaulted} defaulted, worst ${simulation.observed.worstDpd} days past due.</p>`
    : '';
  $('simulation-result').innerHTML = `
    <p id="simulation-summary">Simulation ${simulation.id} against version ${simulation.againstVersion}:
      ${t.cases} case(s), ${t.changed} change outcome (amount ${escape(t.changedAmount)} of ${escape(t.amount)}), in ${simulation.seconds.toFixed(2)} s.</p>
    <div class="charts"><div id="simulation-heatmap" class="chart"></div><div id="simulation-bars" class="chart"></div></div>
    ${renderProcess(simulation.process)}${observed}${renderMovements(simulation)}${renderReplay(simulation.collections)}${renderCases(simulation)}`;
  await drawRoles(simulation.process);
  await drawMovements(simulation);
  return drawCharts(simulation);
}

function days(from, to) {
  return (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86400000 + 1;
}

const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

// Where a running simulation stands, or its end: the kept simulation (figures so far when
// cancelled), null when it failed, undefined while it runs (the progress line shown).
function standing(simulation, id, status) {
  const p = simulation.progress;
  if (simulation.status === 'FAILED') { status(`Simulation ${id} failed: ${simulation.error}`, 'error'); return null; }
  if (simulation.status === 'DONE' || simulation.status === 'CANCELLED') return simulation;
  const of = p.casesTotal === null ? '' : ` of ${p.casesTotal}`;
  const line = simulation.status === 'QUEUED'
    ? `Simulation ${id} is queued: it waits for a worker (lendgraph worker).`
    : `Simulation ${id}: ${p.casesDone}${of} case(s) done${p.phase === 'REPLAY' ? ', replaying day by day' : ''}; ${simulation.totals.changed} change outcome so far.`;
  $('simulation-progress').textContent = line;
  status(line);
  return undefined;
}

// Follow the simulation's stream (simulationUpdated) until it ends; null when no stream could
// be followed to its end, so the caller polls instead.
async function followLive(id, status) {
  let ended;
  try {
    await subscribe(STREAM, { id }, (data) => {
      const now = standing(data.simulationUpdated, id, status);
      if (now !== undefined) ended = { simulation: now };
    }, { token: token() });
  } catch (err) {
    if (err.live) throw err;
    return null;
  }
  return ended || null;
}

// Queue the simulation, then show how far it has gone, with a Cancel button, until it ends:
// as the server streams it, or asking every second where no stream can be followed. The kept
// simulation (its figures so far when cancelled), or null when it failed.
async function inBackground(input, status) {
  const queued = (await gql(QUEUE, { input: { ...input, background: true } })).simulate;
  if (queued.__typename !== 'SimulateSuccess') { status(queued.message, 'error'); return null; }
  const { id } = queued.simulation;
  $('simulation-result').innerHTML = `<p id="simulation-progress">Simulation ${id} queued in the background…</p>
    <button id="simulation-cancel">Cancel</button>`;
  $('simulation-cancel').addEventListener('click', async () => {
    const asked = (await gql(CANCEL, { id })).cancelSimulation;
    if (asked.__typename !== 'CancelSimulationSuccess') { status(asked.message, 'error'); return; }
    // the stream may have shown the cancelled simulation first: the button is gone then
    const button = $('simulation-cancel');
    if (button) button.disabled = true;
  });
  const live = await followLive(id, status);
  if (live !== null) return live.simulation;
  for (;;) {
    const now = standing((await gql(POLL, { id })).simulation, id, status);
    if (now !== undefined) return now;
    await sleep(1000);
  }
}

export function setupSimulation({ currentXml, state, status }) {
  const refreshComparison = setupComparison({ state, status, read: POLL });
  const scopeChoice = setupScopeChoice();
  $('simulate').addEventListener('click', async () => {
    const panel = $('simulate-panel');
    panel.hidden = !panel.hidden;
    chooseKind(state.processId);
    if (!panel.hidden) refreshComparison().catch((err) => status(err.message, 'error'));
    if (!$('simulate-to').value) {
      const today = (await gql(TODAY)).businessDate;
      $('simulate-to').value = today;
      $('simulate-from').value = addDays(today, -90);
    }
    const tables = Object.keys(state.tables);
    $('simulate-decision').replaceChildren(...tables.map((id) => new Option(id, id)));
    if (state.openTable) $('simulate-decision').value = state.openTable;
    scopeChoice.refresh((await currentXml()).xml);
  });
  $('simulate-go').addEventListener('click', async () => {
    try {
      const { xml, dmns } = await currentXml();
      scopeChoice.refresh(xml);
      const input = {
        processId: state.processId, decisionId: $('simulate-decision').value || null,
        draft: { bpmnXml: xml, dmnXmls: dmns },
        population: { kind: $('simulate-kind').value, from: $('simulate-from').value, to: $('simulate-to').value },
        scope: scopeChoice.scope(),
      };
      status('Simulating on past cases…');
      let simulation;
      if (days(input.population.from, input.population.to) > BACKGROUND_DAYS) {
        simulation = await inBackground(input, status);
        if (simulation === null) return;
      } else {
        const result = (await gql(SIMULATE, { input })).simulate;
        if (result.__typename !== 'SimulateSuccess') { status(result.message, 'error'); return; }
        simulation = result.simulation;
      }
      await render(simulation);
      await refreshComparison();
      if (simulation.status === 'CANCELLED') {
        status(`Simulation ${simulation.id} cancelled: the figures above are those of its first ${simulation.totals.cases} case(s)`, 'error');
        return;
      }
      state.simulationId = simulation.id;
      const replay = simulation.collections;
      const replayed = replay ? `; replayed ${replay.loans} past-due loan(s): ${replay.old.contacts} contact(s) in force, ${replay.new.contacts} with the draft` : '';
      status(`Simulated: ${simulation.totals.changed} of ${simulation.totals.cases} case(s) change${replayed}; Deploy cites simulation ${simulation.id}`, 'ok');
    } catch (err) {
      status(err.message, 'error');
    }
  });
}
