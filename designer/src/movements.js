// Who enters and who leaves: the simulation's changed cases per RFM segment and risk rating of
// the customer as stored today (not as they were on the case's date), as a table of entered,
// left and other changes with their amounts, and grouped bars of entered against left.
import { escape } from './html.js';

export const MOVEMENT_FIELDS = 'movements { segment rating entered left moved enteredAmount leftAmount movedAmount }';

const label = (m) => `${m.segment || 'no segment'} · ${m.rating || 'no rating'}`;

// styled inline: the table is this module's alone
const PAD = 'padding: 2px 8px;';
const cell = (text, kind = '') => `<td class="${kind}" style="${PAD}">${escape(text)}</td>`;
const HEAD = ['Segment', 'Rating', 'Enter', 'Amount', 'Leave', 'Amount', 'Other change', 'Amount']
  .map((h) => `<th style="${PAD}">${h}</th>`).join('');

// The table, or nothing when the report has no movements (none changed, or kept before they
// were counted).
export function renderMovements(simulation) {
  const rows = simulation.movements || [];
  if (rows.length === 0) return '';
  const body = rows.map((m) => `<tr class="movement" data-segment="${escape(m.segment || '')}" data-rating="${escape(m.rating || '')}">${
    cell(m.segment || '—', 'segment')}${cell(m.rating || '—', 'rating')}${cell(m.entered, 'entered')}${cell(m.enteredAmount)}${
    cell(m.left, 'left')}${cell(m.leftAmount)}${cell(m.moved, 'moved')}${cell(m.movedAmount)}</tr>`).join('');
  return `<div id="simulation-movements">
    <p class="muted">Who enters and who leaves, by the customer's segment and risk rating as stored today (not as they were on the case's date); every changed case counted, amounts as in the table above.</p>
    <table class="movements" style="border-collapse: collapse; text-align: right;"><thead><tr>${HEAD}</tr></thead>
    <tbody>${body}</tbody></table>
    <div id="simulation-movements-chart" class="chart"></div></div>`;
}

// Entered and left per group as grouped horizontal bars (left drawn below zero), once the
// table is shown.
export async function drawMovements(simulation) {
  const rows = simulation.movements || [];
  const node = document.getElementById('simulation-movements-chart');
  if (rows.length === 0 || !node) return null;
  const echarts = await import('echarts');
  const chart = echarts.init(node);
  chart.setOption({
    title: { text: 'Enter and leave per segment and rating (today\'s labels)', textStyle: { fontSize: 12 } },
    animation: false,
    tooltip: { trigger: 'axis' },
    legend: { bottom: 0 },
    grid: { left: 8, right: 16, top: 32, bottom: 32, containLabel: true },
    yAxis: { type: 'category', data: rows.map(label), inverse: true, axisLabel: { interval: 0 } },
    xAxis: { type: 'value', minInterval: 1 },
    series: [
      { name: 'enter', type: 'bar', data: rows.map((m) => m.entered) },
      { name: 'leave', type: 'bar', data: rows.map((m) => -m.left) },
    ],
  });
  return chart;
}
