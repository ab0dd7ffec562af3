// Whole-process simulation in the Simulate view: the "Table only / Whole process" choice (for
// past applications of a process with a human task), and for a report that ran the whole
// diagram, the figures of both sides with their difference (approval rate, amount approved,
// share with no human), the workload per role in force and in the draft, the assumption the
// figures rest on, and each changed case's two paths with the decision taken for its reviewer.
// The comparison of two whole-process simulations (compare_process.js) shows the same figures.
import { escape } from './html.js';

const $ = (id) => document.getElementById(id);

// the process figures and a changed case's paths, asked for beside the table's
export const PROCESS_FIELDS = `process { assumption old { ...processSide } new { ...processSide } }`;
export const CASE_PATH_FIELDS = 'assumedDecision';
export const SIDE_PATH_FIELDS = 'path tasks { element role }';
export const PROCESS_FRAGMENT = `fragment processSide on ProcessSideFigures { cases approved approvalRate
  approvedAmount noHuman noHumanShare noHumanDecision noHumanDecisionShare
  tasksPerRole { role tasks } lanes { lane count } runs }`;

const HUMAN_TASK = /<([\w-]+:)?userTask[\s/>]/;

// The choice between the table alone and the whole diagram, put after the population's kind.
// `refresh(xml)` shows it only where a whole run means something: past applications, and a
// diagram with a human task; `scope()` is what the simulation is asked for (TABLE when hidden).
export function setupScopeChoice() {
  const label = document.createElement('label');
  label.id = 'simulate-scope-label';
  label.hidden = true;
  label.append('Run ');
  const select = document.createElement('select');
  select.id = 'simulate-scope';
  select.append(new Option('Table only', 'TABLE'), new Option('Whole process', 'PROCESS'));
  label.append(select);
  $('simulate-kind').closest('label').after(label);
  let xml = '';
  const update = () => {
    label.hidden = !($('simulate-kind').value === 'APPLICATIONS' && HUMAN_TASK.test(xml));
  };
  $('simulate-kind').addEventListener('change', update);
  return {
    refresh(current) { xml = current; update(); },
    scope: () => (label.hidden ? 'TABLE' : select.value),
  };
}

// Decimal strings as integers scaled by 10^places, and back: no float in rates or money.
function scaled(text, places) {
  const negative = String(text).startsWith('-');
  const [whole, part = ''] = String(text).replace('-', '').split('.');
  const value = BigInt(whole || '0') * 10n ** BigInt(places) + BigInt((part + '0'.repeat(places)).slice(0, places) || '0');
  return negative ? -value : value;
}

function grouped(digits) {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

function fixed(value, places, signed = false) {
  const abs = value < 0n ? -value : value;
  const unit = 10n ** BigInt(places);
  const sign = value < 0n ? '-' : signed && value > 0n ? '+' : '';
  return `${sign}${grouped(String(abs / unit))}.${String(abs % unit).padStart(places, '0')}`;
}

// a share (0.3750) as a percentage (37.50 %), its difference in percentage points
const percent = (share) => `${fixed(scaled(share, 4), 2)} %`;
const points = (old, now) => `${fixed(scaled(now, 4) - scaled(old, 4), 2, true)} pts`;
const money = (amount) => fixed(scaled(amount, 2), 2);
const moneyDifference = (old, now) => fixed(scaled(now, 2) - scaled(old, 2), 2, true);

// Each figure: its key, its name, how one side shows it, and the difference of a second side
// from a first (a draft from the version in force, or one draft from another).
export const FIGURES = [
  ['approval-rate', 'Approval rate', (s) => percent(s.approvalRate), (o, n) => points(o.approvalRate, n.approvalRate)],
  ['approved-amount', 'Amount approved', (s) => money(s.approvedAmount), (o, n) => moneyDifference(o.approvedAmount, n.approvedAmount)],
  ['no-human', 'Share with no human', (s) => `${percent(s.noHumanShare)} (${s.noHuman} of ${s.cases})`, (o, n) => points(o.noHumanShare, n.noHumanShare)],
  ['no-human-decision', 'Decided with no reviewer', (s) => `${percent(s.noHumanDecisionShare)} (${s.noHumanDecision} of ${s.cases})`,
    (o, n) => points(o.noHumanDecisionShare, n.noHumanDecisionShare)],
];

// The figures block, the workload chart's place and the assumption, their ids starting with
// `prefix` (the comparison shows one per side); '' for a table simulation.
export function renderProcess(process, prefix = 'simulation') {
  if (!process) return '';
  const rows = FIGURES.map(([key, name, value, difference]) => `<tr data-figure="${key}">
    <th>${escape(name)}</th><td class="old">${escape(value(process.old))}</td><td class="new">${escape(value(process.new))}</td>
    <td class="difference">${escape(difference(process.old, process.new))}</td></tr>`).join('');
  return `<div id="${prefix}-process">
    <table id="${prefix}-process-figures" class="process-figures"><thead><tr><th></th><th>In force</th><th>Draft</th><th>Difference</th></tr></thead>
      <tbody>${rows}</tbody></table>
    <p id="${prefix}-assumption" class="assumption">Assumption: ${escape(process.assumption)}</p>
    <div class="charts"><div id="${prefix}-roles" class="chart"></div></div></div>`;
}

function side(decision, label, key) {
  if (!decision.path) return '';
  const tasks = (decision.tasks || []).map((t) => `${escape(t.element)} (${escape(t.role)})`).join(', ') || 'no human task';
  return `<div class="case-path" data-side="${key}"><b>${escape(label)}</b>: ${decision.path.map(escape).join(' → ')}
    <span class="muted">tasks: ${tasks}</span></div>`;
}

// A changed case's two paths and the decision its reviewer is taken to give; '' for a table simulation.
export function renderCasePaths(changed) {
  if (!changed.old.path && !changed.new.path) return '';
  const assumed = changed.assumedDecision
    ? `a reviewer is taken to decide ${escape(changed.assumedDecision)} (as the application was)`
    : 'no reviewer decision assumed (the application has none yet)';
  return `<div class="case-paths">${side(changed.old, 'in force', 'old')}${side(changed.new, 'draft', 'new')}
    <div class="assumed-decision muted">${assumed}</div></div>`;
}

// The roles of some sides' tasks per role, sorted, and one side's tasks of a role (0 for none).
export const rolesOf = (sides) => [...new Set(sides.flatMap((tasksPerRole) => tasksPerRole.map((r) => r.role)))].sort();
export const tasksOf = (tasksPerRole, role) => (tasksPerRole.find((r) => r.role === role) || { tasks: 0 }).tasks;

// Human tasks per candidate role as grouped bars, one series per [label, tasksPerRole].
export async function drawWorkload(element, series) {
  const echarts = await import('echarts');
  const roles = rolesOf(series.map(([, tasksPerRole]) => tasksPerRole));
  echarts.init(element).setOption({
    animation: false,
    title: { text: 'Workload per role (human tasks)', textStyle: { fontSize: 12 } },
    legend: { top: 18, data: series.map(([label]) => label) },
    tooltip: {},
    grid: { left: 40, top: 50, bottom: 40, right: 10 },
    xAxis: { type: 'category', data: roles, axisLabel: { interval: 0, fontSize: 10 } },
    yAxis: { type: 'value', minInterval: 1 },
    series: series.map(([label, tasksPerRole]) => ({ name: label, type: 'bar', data: roles.map((r) => tasksOf(tasksPerRole, r)) })),
  });
}

// Human tasks per candidate role, in force and in the draft: the workload each would bring.
export async function drawRoles(process, prefix = 'simulation') {
  const element = $(`${prefix}-roles`);
  if (!process || !element) return;
  await drawWorkload(element, [['in force', process.old.tasksPerRole], ['draft', process.new.tasksPerRole]]);
}
