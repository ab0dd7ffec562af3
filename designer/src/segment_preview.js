// A draft of a segment's rules weighed by `segmentPreview`: the totals, who enters and leaves by
// RFM segment × risk rating (a table and a stacked bar chart), and the people when the caller
// may read customers. Nothing is saved by a preview.
import * as echarts from 'echarts';

import { gql } from './api.js';
import { escape } from './html.js';

const PEOPLE = 'totalCount edges { node { name branch riskRating rfm { segment } } }';
const PREVIEW = `query ($name: String, $rules: JSON!) { segmentPreview(input: {name: $name, rules: $rules}) {
  segment rules members current entered left stayed groups { rfmSegment riskRating entered left stayed }
  entering(first: 50) { ${PEOPLE} } leaving(first: 50) { ${PEOPLE} } } }`;

const TOTALS = [['members', 'Members under the draft'], ['current', 'Members now'],
  ['entered', 'Enter'], ['left', 'Leave'], ['stayed', 'Stay']];
const NONE = '(none)'; // a customer not yet profiled: no segment or rating stored

let chart = null;
window.addEventListener('resize', () => chart && chart.resize());

export async function preview(name, rules) {
  return (await gql(PREVIEW, { name, rules })).segmentPreview;
}

function groupRow(g) {
  return `<tr class="group" data-segment="${escape(g.rfmSegment ?? '')}" data-rating="${escape(g.riskRating ?? '')}">
    <td>${escape(g.rfmSegment ?? NONE)}</td><td>${escape(g.riskRating ?? NONE)}</td>
    <td class="entered">${g.entered}</td><td class="left">${g.left}</td><td class="stayed">${g.stayed}</td></tr>`;
}

function people(id, title, found) {
  const items = found.edges.map(({ node }) => `<li>${escape(node.name)} <span class="muted">${escape(
    [node.rfm && node.rfm.segment, node.riskRating, node.branch].filter(Boolean).join(' · '))}</span></li>`);
  const more = found.totalCount > found.edges.length
    ? `<p class="muted">and ${found.totalCount - found.edges.length} more</p>` : '';
  return `<div class="people"><h3>${escape(title)} (${found.totalCount})</h3>
    <ul id="${id}">${items.join('') || '<li class="muted">no one</li>'}</ul>${more}</div>`;
}

function drawChart(box, groups) {
  if (chart) chart.dispose();
  chart = null;
  const moved = groups.filter((g) => g.entered || g.left);
  if (!moved.length) {
    box.innerHTML = '<p class="muted">No one enters or leaves under this draft.</p>';
    return;
  }
  const keys = moved.map((g) => `${g.rfmSegment ?? NONE} · ${g.riskRating ?? NONE}`);
  chart = echarts.init(box);
  chart.setOption({
    animation: false, // drawn at once: what you see is the data
    tooltip: { trigger: 'axis' }, legend: { bottom: 0 },
    grid: { left: 40, right: 16, top: 16, bottom: 56, containLabel: true },
    xAxis: { type: 'category', data: keys, axisLabel: { interval: 0, rotate: keys.length > 4 ? 25 : 0 } },
    yAxis: { type: 'value', minInterval: 1 },
    series: [
      { name: 'entered', type: 'bar', stack: 'moved', color: '#067647', data: moved.map((g) => g.entered) },
      { name: 'left', type: 'bar', stack: 'moved', color: '#b42318', data: moved.map((g) => g.left) },
    ],
  });
}

// Show a preview in `view` (the section of the page that holds it).
export function drawPreview(view, found) {
  const totals = TOTALS.map(([key, label]) => `<div class="total" data-total="${key}">
    <span class="label">${escape(label)}</span><span class="value">${found[key]}</span></div>`).join('');
  const against = found.segment ? `against the members of “${escape(found.segment)}” now` : 'a new segment: no members yet';
  const listed = found.entering && found.leaving;
  view.innerHTML = `<h2>Preview <span class="muted">${against} (as of the last daily run); nothing is saved</span></h2>
    <div id="preview-totals">${totals}</div>
    <div class="preview-body">
      <table id="preview-groups" class="figures"><thead><tr><th>RFM segment</th><th>Risk rating</th>
        <th>Enter</th><th>Leave</th><th>Stay</th></tr></thead>
        <tbody>${found.groups.map(groupRow).join('') || '<tr><td colspan="5" class="muted">no customer</td></tr>'}</tbody></table>
      <div id="preview-chart" class="chart"></div>
    </div>
    ${listed ? `<div id="preview-people">${people('entering', 'Entering', found.entering)}${people('leaving', 'Leaving', found.leaving)}</div>`
    : '<p id="figures-only" class="warn">Your role sees figures only: who enters and leaves is listed to those who may read customers.</p>'}`;
  view.hidden = false;
  view.classList.remove('stale');
  drawChart(view.querySelector('#preview-chart'), found.groups);
}

export function clearPreview(view) {
  if (chart) chart.dispose();
  chart = null;
  view.innerHTML = '';
  view.hidden = true;
  view.classList.remove('stale');
}
