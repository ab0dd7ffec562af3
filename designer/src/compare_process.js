// Two whole-process simulations side by side: each draft's figures beside its own version in
// force (the block the Simulate view shows for one), then the second draft against the first:
// approval rate and shares in points, amount approved to the cent, human tasks per role, and
// both drafts' workload in one chart. Nothing here for a table simulation (no process figures).
import { FIGURES, drawRoles, drawWorkload, rolesOf, tasksOf } from './process_figures.js';
import { escape } from './html.js';

const $ = (id) => document.getElementById(id);
// a difference with its sign
export const signed = (n) => (n > 0 ? `+${n}` : String(n));

function roleRows(first, second) {
  return rolesOf([first.tasksPerRole, second.tasksPerRole]).map((role) => {
    const [x, y] = [tasksOf(first.tasksPerRole, role), tasksOf(second.tasksPerRole, role)];
    return `<tr class="compare-role" data-role="${escape(role)}"><th>${escape(role)}</th>
      <td class="first">${x}</td><td class="second">${y}</td><td class="difference">${signed(y - x)}</td></tr>`;
  }).join('');
}

// The second simulation's draft against the first's, figure by figure and role by role.
export function processDifference(a, b) {
  if (!a.process || !b.process) return '';
  const [first, second] = [a.process.new, b.process.new];
  const head = (title) => `<thead><tr><th>${title}</th><th>#${a.id} draft</th><th>#${b.id} draft</th><th>#${b.id} against #${a.id}</th></tr></thead>`;
  const figures = FIGURES.map(([key, name, value, difference]) => `<tr data-figure="${key}"><th>${escape(name)}</th>
    <td class="first">${escape(value(first))}</td><td class="second">${escape(value(second))}</td>
    <td class="difference">${escape(difference(first, second))}</td></tr>`).join('');
  const roles = roleRows(first, second) || '<tr><td colspan="4" class="muted">No human task in either draft</td></tr>';
  return `<div id="compare-process">
    <table id="compare-process-figures" class="process-figures">${head('Whole process')}<tbody>${figures}</tbody></table>
    <table id="compare-process-roles" class="process-figures">${head('Human tasks per role')}<tbody>${roles}</tbody></table>
    <div id="compare-roles" class="chart"></div></div>`;
}

// Both drafts' workload in one chart, and each side's in force and draft in its column.
export async function drawProcess(a, b) {
  if (!a.process || !b.process) return;
  await drawWorkload($('compare-roles'), [[`#${a.id} draft`, a.process.new.tasksPerRole], [`#${b.id} draft`, b.process.new.tasksPerRole]]);
  await drawRoles(a.process, 'compare-first');
  await drawRoles(b.process, 'compare-second');
}
