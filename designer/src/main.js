import 'bpmn-js/dist/assets/diagram-js.css';
import 'bpmn-js/dist/assets/bpmn-js.css';
import 'bpmn-js/dist/assets/bpmn-font/css/bpmn.css';
import 'dmn-js/dist/assets/diagram-js.css';
import 'dmn-js/dist/assets/dmn-js-shared.css';
import 'dmn-js/dist/assets/dmn-js-drd.css';
import 'dmn-js/dist/assets/dmn-js-decision-table.css';
import 'dmn-js/dist/assets/dmn-js-decision-table-controls.css';
import 'dmn-js/dist/assets/dmn-js-literal-expression.css';
import 'dmn-js/dist/assets/dmn-font/css/dmn.css';
import './style.css';

import BpmnModeler from 'bpmn-js/lib/Modeler';
import DmnModeler from 'dmn-js/lib/Modeler';

import * as api from './api.js';
import spiffworkflow from './moddle/spiffworkflow.json';
import { PropertiesPanel } from './panel.js';
import { LANGUAGES, declareLanguage, languageLabel, languagesByTab } from './languages.js';
import { setupSimulation } from './simulate.js';
import { decisionIds, newProcess, newTable, processIdOf } from './templates.js';

const $ = (id) => document.getElementById(id);
const DESIGNERS = ['analyst', 'admin'];

const state = {
  user: null,
  definitions: [],
  catalogue: { operations: [], roles: [], decisions: () => Object.keys(state.tables) },
  processId: null,
  tables: {}, // decision id -> DMN XML (the open process's tables)
  openTable: null, // decision id shown in the DMN tab, or null for the diagram
  problems: [],
  languages: {}, // tab key -> expression language the server reads the file in
  simulationId: null, // the last simulation of the open draft, cited by its deploy
};

const bpmn = new BpmnModeler({ container: '#bpmn-canvas', moddleExtensions: { spiffworkflow } });
const dmn = new DmnModeler({ container: '#dmn-canvas', common: { keyboard: { bindTo: document } } });
let panel = null;

function status(text, kind = 'info') {
  const el = $('status');
  el.textContent = text;
  el.className = kind;
}

function canDeploy() {
  return !!state.user && state.user.roles.some((r) => DESIGNERS.includes(r));
}

// ---- sign-in ------------------------------------------------------------------------------
async function enter() {
  const opened = await api.opening();
  if (!opened) return;
  state.user = opened.me;
  $('deploy').disabled = !canDeploy();
  $('deploy').title = canDeploy() ? '' : 'Only analysts and administrators deploy';
  const catalogue = await api.gql(api.OPERATIONS);
  state.catalogue.operations = catalogue.serviceOperations;
  state.catalogue.roles = catalogue.taskRoles;
  panel = panel || new PropertiesPanel($('properties'), bpmn, state.catalogue);
  await refreshList();
  const wanted = new URLSearchParams(location.hash.slice(1)).get('process');
  const mine = state.definitions.filter((d) => d.processId === wanted);
  const first = mine.find((d) => d.inForce) || mine[0]
    || state.definitions.find((d) => d.inForce) || state.definitions[0];
  if (first) await openDefinition(first);
  else await openDraft(newProcess('new_process', 'New process'), {});
}


// ---- the list of deployed processes ---------------------------------------------------------
async function refreshList() {
  state.definitions = (await api.gql(api.DEFINITIONS)).processDefinitions;
  const byProcess = new Map();
  for (const d of state.definitions) {
    if (!byProcess.has(d.processId)) byProcess.set(d.processId, []);
    byProcess.get(d.processId).push(d);
  }
  const list = $('process-list');
  list.replaceChildren();
  for (const [pid, versions] of byProcess) {
    versions.sort((a, b) => b.version - a.version);
    // new instances start on the version in force (the newest not retired); a retired
    // process has none, and opens at its newest version
    const current = versions.find((v) => v.inForce);
    const shown = current || versions[0];
    const others = versions.filter((v) => v !== shown).reduce((n, v) => n + v.runningInstances, 0);
    const where = current
      ? `v${current.version}`
      : `retired ${String(shown.retiredAt).slice(0, 10)} by ${shown.retiredBy}`;
    const item = document.createElement('li');
    item.className = 'process-item';
    item.dataset.processId = pid;
    item.innerHTML = `<button class="open">${pid}</button><span class="versions"></span>`;
    item.querySelector('.versions').textContent =
      `${where} · ${shown.runningInstances} running${others ? ` · ${others} on other versions` : ''}`;
    item.querySelector('.open').addEventListener('click', () => openDefinition(shown));
    list.append(item);
  }
}

// ---- opening, drafting, importing -----------------------------------------------------------
async function openDefinition(definition) {
  const tables = {};
  for (const xml of definition.dmnXmls) for (const id of decisionIds(xml)) tables[id] = xml;
  await openDraft(definition.bpmnXml, tables);
  status(`Opened ${definition.processId} version ${definition.version}`);
  location.hash = `process=${definition.processId}`;
}

async function openDraft(xml, tables) {
  const result = await bpmn.importXML(xml);
  if (result.warnings.length) status(`Opened with ${result.warnings.length} warning(s): ${result.warnings[0].message}`, 'warn');
  state.processId = processIdOf(xml);
  state.tables = tables;
  state.simulationId = null;
  state.openTable = null;
  $('open-title').textContent = state.processId || '';
  bpmn.get('canvas').zoom('fit-viewport');
  clearMarks();
  renderTabs();
  renderTables();
  showCanvas('bpmn');
  await refreshLanguages();
}

async function refreshLanguages(answer = null) {
  const { xml, dmns } = await currentXml();
  const found = answer || (await api.gql(LANGUAGES, { xml, dmns })).processLanguages;
  state.languages = languagesByTab(found, dmns, state.tables);
  renderTabs();
}

$('language').addEventListener('change', async (event) => {
  const modeler = state.openTable ? dmn : bpmn;
  declareLanguage(modeler.getDefinitions(), event.target.value);
  await check().catch((e) => status(e.message, 'error'));
});

function renderTables() {
  const list = $('table-list');
  list.replaceChildren();
  for (const id of Object.keys(state.tables)) {
    const item = document.createElement('li');
    item.innerHTML = `<button class="open-table" data-table="${id}">${id}</button>`;
    item.querySelector('button').addEventListener('click', () => openTable(id));
    list.append(item);
  }
}

function renderTabs() {
  const tabs = $('tabs');
  tabs.replaceChildren();
  const make = (key, label) => {
    const tab = document.createElement('button');
    tab.className = 'tab';
    tab.dataset.tab = key;
    const language = state.languages[key];
    tab.dataset.language = language || '';
    tab.textContent = language ? `${label} · ${languageLabel(language)}` : label;
    const active = key === (state.openTable ? `dmn:${state.openTable}` : 'bpmn');
    tab.classList.toggle('active', active);
    if (active && language) $('language').value = language;
    tab.addEventListener('click', () => (key === 'bpmn' ? showDiagram() : openTable(key.slice(4))));
    tabs.append(tab);
  };
  make('bpmn', `${state.processId || 'process'}.bpmn`);
  for (const id of Object.keys(state.tables)) make(`dmn:${id}`, `${id}.dmn`);
}

function showCanvas(which) {
  $('bpmn-canvas').hidden = which !== 'bpmn';
  $('dmn-canvas').hidden = which !== 'dmn';
  $('properties').hidden = which !== 'bpmn';
}

async function saveOpenTable() {
  if (!state.openTable) return;
  const { xml } = await dmn.saveXML({ format: true });
  const ids = decisionIds(xml);
  for (const id of ids) state.tables[id] = xml;
}

async function openTable(id) {
  await saveOpenTable();
  state.openTable = id;
  await dmn.importXML(state.tables[id]);
  const view = dmn.getViews().find((v) => v.type === 'decisionTable' && v.element.id === id);
  if (view) await dmn.open(view);
  showCanvas('dmn');
  renderTabs();
}

async function showDiagram() {
  await saveOpenTable();
  state.openTable = null;
  showCanvas('bpmn');
  renderTabs();
}

$('new-process').addEventListener('click', async () => {
  const id = prompt('Process id (letters, digits, _)', 'new_process');
  if (!id || !/^[A-Za-z_][\w-]*$/.test(id)) return;
  await openDraft(newProcess(id, id.replace(/_/g, ' ')), {});
  status(`New process ${id}: draw it, check it, deploy it`);
});

$('new-table').addEventListener('click', async () => {
  const id = prompt('Decision id (letters, digits, _)', 'new_rules');
  if (!id || !/^[A-Za-z_][\w-]*$/.test(id)) return;
  await saveOpenTable();
  state.tables[id] = newTable(id);
  renderTables();
  await openTable(id);
  await refreshLanguages();
});

$('import-file').addEventListener('change', async (event) => {
  for (const file of event.target.files) {
    const text = await file.text();
    try {
      if (/\.dmn$/i.test(file.name) || text.includes('/DMN/')) {
        for (const id of decisionIds(text)) state.tables[id] = text;
        renderTables();
        await refreshLanguages();
        status(`Imported decision table(s) from ${file.name}`);
      } else {
        await openDraft(text, state.tables);
        status(`Imported ${file.name}: check it to see whether lendgraph can run it`);
      }
    } catch (err) {
      status(`${file.name} could not be opened: ${err.message}`, 'error');
    }
  }
  event.target.value = '';
});

async function currentXml() {
  await saveOpenTable();
  const { xml } = await bpmn.saveXML({ format: true });
  const tables = [...new Set(Object.values(state.tables))];
  return { xml, dmns: tables };
}

$('download').addEventListener('click', async () => {
  const { xml } = await currentXml();
  const name = state.openTable ? `${state.openTable}.dmn` : `${processIdOf(xml) || 'process'}.bpmn`;
  const body = state.openTable ? state.tables[state.openTable] : xml;
  const link = document.createElement('a');
  link.href = URL.createObjectURL(new Blob([body], { type: 'application/xml' }));
  link.download = name;
  link.click();
});

// ---- problems on the diagram ----------------------------------------------------------------
function clearMarks() {
  const canvas = bpmn.get('canvas');
  const registry = bpmn.get('elementRegistry');
  bpmn.get('overlays').remove({ type: 'lg-problem' });
  for (const el of registry.getAll()) {
    canvas.removeMarker(el.id, 'lg-problem');
    canvas.removeMarker(el.id, 'lg-path');
    canvas.removeMarker(el.id, 'lg-waiting');
  }
  $('problems').replaceChildren();
}

function markProblems(problems) {
  clearMarks();
  const canvas = bpmn.get('canvas');
  const registry = bpmn.get('elementRegistry');
  const overlays = bpmn.get('overlays');
  for (const p of problems) {
    const item = document.createElement('li');
    item.className = 'problem';
    item.dataset.elementId = p.elementId || '';
    const where = p.line ? ` (line ${p.line}, column ${p.column})` : '';
    item.textContent = `${p.elementId || 'file'}${where}: ${p.reason}`;
    const shape = p.elementId && registry.get(p.elementId);
    if (shape) {
      canvas.addMarker(p.elementId, 'lg-problem');
      const badge = document.createElement('div');
      badge.className = 'lg-problem-badge';
      badge.dataset.elementId = p.elementId;
      badge.title = p.reason;
      badge.textContent = '!';
      overlays.add(p.elementId, 'lg-problem', { position: { top: -12, right: 12 }, html: badge });
      item.addEventListener('click', () => bpmn.get('selection').select(shape));
    }
    $('problems').append(item);
  }
}

async function check() {
  const { xml, dmns } = await currentXml();
  const answer = await api.gql(api.CHECK, { xml, dmns });
  const problems = answer.checkProcess;
  state.problems = problems;
  await refreshLanguages(answer.processLanguages);
  markProblems(problems);
  status(problems.length ? `${problems.length} problem(s): deploy is refused until they are fixed` : 'No problems: ready to deploy',
    problems.length ? 'error' : 'ok');
  return problems;
}

$('check').addEventListener('click', () => check().catch((e) => status(e.message, 'error')));

// ---- deploy and migrate ---------------------------------------------------------------------
$('deploy').addEventListener('click', async () => {
  try {
    if (!canDeploy()) { status('Only analysts and administrators deploy', 'error'); return; }
    const problems = await check();
    if (problems.length) return;
    const { xml, dmns } = await currentXml();
    const result = (await api.gql(api.DEPLOY, { xml, dmns, simulation: state.simulationId })).deployProcess;
    if (result.__typename !== 'DeployProcessSuccess') {
      status(result.message, 'error');
      return;
    }
    const d = result.definition;
    await refreshList();
    const box = $('deploy-result');
    box.innerHTML = `<p id="deployed">${result.created ? 'Deployed' : 'Already deployed as'} ${d.processId} version ${d.version}</p>`
      + (d.simulationId ? `<p id="deployed-simulation" class="muted">Based on simulation ${d.simulationId}</p>` : '');
    status(`${d.processId} version ${d.version} is live: new instances follow it`, 'ok');
    await offerMigration(d.processId);
  } catch (err) {
    status(err.message, 'error');
  }
});

async function offerMigration(processId) {
  const plan = (await api.gql(api.MIGRATE, { pid: processId, dry: true })).migrateProcessInstances;
  const box = document.createElement('div');
  box.id = 'migration';
  if (plan.__typename !== 'MigrateProcessInstancesSuccess') { box.textContent = plan.message; $('deploy-result').append(box); return; }
  const refusedList = plan.instances.filter((i) => i.problems.length)
    .map((i) => `<li>${i.processInstance.businessKey} (v${i.fromVersion}): ${i.problems.join('; ')}</li>`).join('');
  box.innerHTML = `<p>${plan.movable + plan.refused} instance(s) still run on older versions:
    ${plan.movable} can move safely to version ${plan.toVersion}, ${plan.refused} cannot.</p>
    ${plan.movable ? '<button id="migrate-button">Move the safe ones</button>' : ''}<ul>${refusedList}</ul>`;
  $('deploy-result').append(box);
  const button = box.querySelector('#migrate-button');
  if (button) button.addEventListener('click', async () => {
    const done = (await api.gql(api.MIGRATE, { pid: processId, dry: false })).migrateProcessInstances;
    const moved = done.instances.filter((i) => i.migrated).length;
    box.innerHTML = `<p id="migrated">${moved} instance(s) moved to version ${done.toVersion}</p>`;
    await refreshList();
  });
}

// ---- dry run --------------------------------------------------------------------------------
$('dry-run').addEventListener('click', () => {
  const panelEl = $('dry-run-panel');
  panelEl.hidden = !panelEl.hidden;
  if (!$('dry-run-data').value) {
    $('dry-run-data').value = JSON.stringify({ amount: '20000', term_months: 24, application_id: 1, customer_id: 1,
      bureau_score: 760, debt_to_income: '0.2', worst_dpd_12m: 0, report_age_days: 3,
      max_report_age_days: 30, second_approval_above: '500000', product_code: 'PL' }, null, 1);
  }
});

function numbers(data) {
  // decimals travel as strings: give the engine numbers for numeric-looking values
  const out = {};
  for (const [k, v] of Object.entries(data)) out[k] = typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v;
  return out;
}

$('dry-run-go').addEventListener('click', async () => {
  try {
    const data = numbers(JSON.parse($('dry-run-data').value || '{}'));
    const taskAnswers = JSON.parse($('dry-run-answers').value || '{}');
    const { xml, dmns } = await currentXml();
    const result = (await api.gql(api.DRY_RUN, { input: { bpmnXml: xml, dmnXmls: dmns, data, taskAnswers } })).dryRunProcess;
    if (result.__typename !== 'DryRunResult') {
      markProblems(result.fields.map((f) => ({ elementId: f.field === '-' ? null : f.field, reason: f.message })));
      status(result.message, 'error');
      return;
    }
    clearMarks();
    const canvas = bpmn.get('canvas');
    const registry = bpmn.get('elementRegistry');
    for (const id of result.path) if (registry.get(id)) canvas.addMarker(id, 'lg-path');
    for (const id of result.waitingAt) if (registry.get(id)) canvas.addMarker(id, 'lg-waiting');
    if (result.errorElement && registry.get(result.errorElement)) canvas.addMarker(result.errorElement, 'lg-problem');
    $('dry-run-result').innerHTML = `<p id="dry-run-status">${result.status}${result.waitingAt.length ? ` at ${result.waitingAt.join(', ')}` : ''}${result.error ? `: ${result.error}` : ''}</p>
      <p class="muted">Path: <span id="dry-run-path">${result.path.join(' → ')}</span></p>`;
    status(`Dry run ${result.status.toLowerCase()}: nothing was stored`, result.status === 'FAILED' ? 'error' : 'ok');
  } catch (err) {
    status(err.message, 'error');
  }
});

setupSimulation({ currentXml, state, status });

window.lendgraph = { bpmn, dmn, state, check };
api.startPage(enter);
