// The dashboard: boards of tiles (measure × dimension × chart × filters) drawn with ECharts.
// Every figure comes from the `measure` query, computed in SQL under the signed-in user's
// scope; clicking a bar or slice lists the loans or customers behind it.
import * as echarts from 'echarts';
import './style.css';
import './dashboard.css';

import * as api from './api.js';

const $ = (id) => document.getElementById(id);

const MEASURE = `query ($name: String!, $dimension: String, $filter: ReportFilter) {
  measure(name: $name, dimension: $dimension, filter: $filter) {
    measure title dimension unit businessDate csv points { key series value exact count drill } } }`;
const CATALOGUE = '{ me { username roles } businessDate measures { name title unit description dimensions drill } }';
const BOARDS = '{ boards { id name tiles sharedWith mine defaultFor } }';
const SAVE = `mutation ($input: SaveBoardInput!) { saveBoard(input: $input) { __typename
  ... on SaveBoardSuccess { board { id name tiles sharedWith mine defaultFor } }
  ... on ValidationError { message fields { field message } } ... on ForbiddenError { message }
  ... on NotFoundError { message } } }`;
const DELETE = `mutation ($id: ID!) { deleteBoard(id: $id) { __typename ... on ForbiddenError { message } } }`;
const LISTS = {
  loans: {
    query: `query ($filter: LoanFilter) { loans(filter: $filter, first: 50) { totalCount
      edges { node { id bucket daysPastDue outstandingPrincipal customer { name } } } } }`,
    columns: [['Customer', (n) => (n.customer ? n.customer.name : '')], ['Bucket', (n) => n.bucket],
      ['DPD', (n) => n.daysPastDue], ['Outstanding', (n) => format(Number(n.outstandingPrincipal), 'money')]],
  },
  applications: {
    query: `query ($filter: ApplicationFilter) { applications(filter: $filter, first: 50) { totalCount
      edges { node { id status riskLane channel productCode amount customer { name } } } } }`,
    columns: [['Customer', (n) => (n.customer ? n.customer.name : '')], ['Status', (n) => n.status],
      ['Lane', (n) => n.riskLane], ['Channel', (n) => n.channel], ['Product', (n) => n.productCode],
      ['Amount', (n) => format(Number(n.amount), 'money')]],
  },
  customers: {
    query: `query ($filter: CustomerFilter) { customers(filter: $filter, first: 50) { totalCount
      edges { node { id name branch riskRating lifecycleStage rfm { segment } } } } }`,
    columns: [['Name', (n) => n.name], ['Branch', (n) => n.branch], ['Risk', (n) => n.riskRating],
      ['Stage', (n) => n.lifecycleStage], ['RFM', (n) => (n.rfm ? n.rfm.segment : '')]],
  },
};

const state = { user: null, today: null, measures: {}, boards: [], board: null, charts: [] };

function status(text, kind = 'info') {
  $('status').textContent = text;
  $('status').className = kind;
}

function format(value, unit) {
  if (value === null || value === undefined) return '—';
  if (unit === 'ratio') return `${(value * 100).toFixed(1)}%`;
  if (unit === 'money') return value.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  if (unit === 'hours') return `${value.toFixed(1)} h`;
  return value.toLocaleString('en-US');
}

// ---- filters ---------------------------------------------------------------------------------
function pageFilters() {
  const f = {};
  const pairs = [['dateFrom', 'f-from'], ['dateTo', 'f-to'], ['branch', 'f-branch'],
    ['productCode', 'f-product'], ['channel', 'f-channel'], ['segment', 'f-segment']];
  for (const [key, id] of pairs) if ($(id).value.trim()) f[key] = $(id).value.trim();
  return f;
}

function tileFilter(tile) {
  const own = { ...(tile.filters || {}) };
  const page = pageFilters();
  if (page.dateFrom || page.dateTo) delete own.days;
  return { ...own, ...page };
}

// ---- charts ----------------------------------------------------------------------------------
function option(result, chart) {
  const points = result.points;
  const unit = result.unit;
  const keys = [...new Set(points.map((p) => p.key))];
  const series = [...new Set(points.map((p) => p.series))];
  const value = (key, s) => {
    const p = points.find((q) => q.key === key && q.series === s);
    return p ? p.value : null;
  };
  const axisLabel = { formatter: (v) => format(v, unit) };
  const tooltip = { trigger: chart === 'pie' || chart === 'funnel' ? 'item' : 'axis',
    valueFormatter: (v) => format(v, unit) };
  if (chart === 'pie' || chart === 'funnel') {
    const data = keys.map((k) => ({ name: k, value: points.filter((p) => p.key === k).reduce((a, p) => a + (p.value || 0), 0) }));
    return { tooltip, legend: { type: 'scroll', bottom: 0 },
      series: [{ type: chart, data, radius: chart === 'pie' ? ['35%', '65%'] : undefined, sort: chart === 'funnel' ? 'none' : undefined }] };
  }
  if (chart === 'line' && series.length > 1) { // e.g. roll rates: months along, one line per bucket
    return { tooltip, legend: { type: 'scroll', bottom: 0 }, xAxis: { type: 'category', data: series },
      yAxis: { type: 'value', axisLabel },
      series: keys.map((k) => ({ name: k, type: 'line', data: series.map((s) => value(k, s)), connectNulls: true })) };
  }
  return { tooltip, legend: series.length > 1 ? { type: 'scroll', bottom: 0 } : undefined,
    grid: { left: 60, right: 16, top: 16, bottom: series.length > 1 ? 56 : 32, containLabel: true },
    xAxis: { type: 'category', data: keys, axisLabel: { interval: 0, rotate: keys.length > 6 ? 30 : 0 } },
    yAxis: { type: 'value', axisLabel },
    series: series.map((s) => ({ name: s || result.title, type: chart === 'line' ? 'line' : 'bar',
      stack: chart === 'stacked' ? 'all' : undefined, data: keys.map((k) => value(k, s)) })) };
}

function table(result) {
  const t = document.createElement('table');
  t.className = 'figures';
  const multi = result.points.some((p) => p.series);
  t.innerHTML = `<thead><tr><th>${result.dimension}</th>${multi ? '<th>series</th>' : ''}<th>${result.unit}</th><th>rows</th></tr></thead>`;
  const body = document.createElement('tbody');
  for (const p of result.points) {
    const tr = document.createElement('tr');
    tr.dataset.key = p.key;
    const cells = [p.key, ...(multi ? [p.series] : []), format(p.value, result.unit), p.count];
    for (const c of cells) {
      const td = document.createElement('td');
      td.textContent = c;
      tr.appendChild(td);
    }
    if (p.drill) {
      tr.classList.add('drillable');
      tr.addEventListener('click', () => drill(result, p));
    }
    body.appendChild(tr);
  }
  t.appendChild(body);
  return t;
}

async function drawTile(tile, card) {
  const body = card.querySelector('.tile-body');
  card.dataset.state = 'loading';
  body.innerHTML = '<p class="muted">Loading…</p>';
  let result;
  try {
    result = (await api.gql(MEASURE, { name: tile.measure, dimension: tile.dimension, filter: tileFilter(tile) })).measure;
  } catch (err) {
    card.dataset.state = 'error';
    body.innerHTML = '';
    const p = document.createElement('p');
    p.className = 'error';
    p.textContent = err.message;
    body.appendChild(p);
    return;
  }
  card.result = result;
  card.dataset.total = String(result.points.reduce((a, p) => a + p.count, 0));
  body.innerHTML = '';
  if (!result.points.some((p) => p.count > 0)) {
    card.dataset.state = 'empty';
    body.innerHTML = '<p class="muted empty">No data for these filters.</p>';
    return;
  }
  card.dataset.state = 'ready';
  if (tile.chart === 'table') {
    body.appendChild(table(result));
    return;
  }
  if (tile.chart === 'number') {
    const total = result.unit === 'ratio' || result.unit === 'hours'
      ? result.points[0].value : result.points.reduce((a, p) => a + (p.value || 0), 0);
    body.innerHTML = `<p class="number">${format(total, result.unit)}</p>`;
    return;
  }
  const box = document.createElement('div');
  box.className = 'chart';
  body.appendChild(box);
  const chart = echarts.init(box);
  chart.setOption({ animation: false, ...option(result, tile.chart) }); // drawn at once: what you see is the data
  chart.on('click', (params) => {
    const s = params.seriesName === result.title ? '' : params.seriesName;
    const point = result.points.find((p) => p.key === params.name && (p.series === s || !p.series))
      || result.points.find((p) => p.key === params.seriesName) || result.points.find((p) => p.key === params.name);
    if (point) drill(result, point);
  });
  state.charts.push(chart);
}

function download(result) {
  const blob = new Blob([result.csv], { type: 'text/csv' });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = `${result.measure}-by-${result.dimension}-${result.businessDate}.csv`;
  a.click();
  URL.revokeObjectURL(a.href);
}

function renderBoard() {
  for (const c of state.charts) c.dispose();
  state.charts = [];
  const board = $('board');
  board.innerHTML = '';
  const tiles = state.board ? state.board.tiles : [];
  if (!tiles.length) {
    board.innerHTML = '<p class="muted empty-board">This board has no tiles yet: add one.</p>';
  }
  tiles.forEach((tile, index) => {
    const card = document.createElement('article');
    card.className = 'tile';
    card.dataset.measure = tile.measure;
    card.dataset.dimension = tile.dimension;
    card.innerHTML = `<header><h3></h3><span class="spacer"></span>
      <button class="csv" title="Download CSV">CSV</button><button class="remove" title="Remove">×</button></header>
      <div class="tile-body"></div>`;
    card.querySelector('h3').textContent = tile.title;
    card.querySelector('.csv').addEventListener('click', () => card.result && download(card.result));
    card.querySelector('.remove').addEventListener('click', () => {
      state.board.tiles.splice(index, 1);
      renderBoard();
    });
    board.appendChild(card);
    drawTile(tile, card);
  });
  $('delete-board').disabled = !(state.board && state.board.mine);
  $('share-roles').value = state.board && state.board.mine ? state.board.sharedWith.join(', ') : '';
}

// ---- drill-down ------------------------------------------------------------------------------
async function drill(result, point) {
  if (!point.drill) {
    status(`No list behind "${point.key}" for this measure.`, 'warn');
    return;
  }
  const list = LISTS[point.drill.list];
  $('drill').hidden = false;
  $('drill-title').textContent = `${result.title}: ${point.key}${point.series ? ` (${point.series})` : ''} · loading…`;
  const head = $('drill-table').querySelector('thead');
  const body = $('drill-table').querySelector('tbody');
  body.innerHTML = '';
  head.innerHTML = `<tr>${list.columns.map(([name]) => `<th>${name}</th>`).join('')}</tr>`;
  try {
    const data = await api.gql(list.query, { filter: point.drill.filter });
    const found = data[point.drill.list];
    for (const edge of found.edges) {
      const tr = document.createElement('tr');
      for (const [, get] of list.columns) {
        const td = document.createElement('td');
        td.textContent = get(edge.node) ?? '';
        tr.appendChild(td);
      }
      body.appendChild(tr);
    }
    $('drill').dataset.count = String(found.totalCount);
    $('drill-title').textContent = `${result.title}: ${point.key}${point.series ? ` (${point.series})` : ''} · ${found.totalCount} ${point.drill.list}`;
    $('drill-more').textContent = found.totalCount > found.edges.length ? `Showing the first ${found.edges.length}.` : '';
  } catch (err) {
    $('drill-title').textContent = `${result.title}: ${point.key}`;
    $('drill-more').textContent = err.message;
  }
}

// ---- boards ----------------------------------------------------------------------------------
function boardLabel(b) {
  if (b.defaultFor) return `${b.name} (default for ${b.defaultFor})`;
  return b.mine ? b.name : `${b.name} (shared)`;
}

function fillBoards(selectId) {
  const select = $('board-select');
  select.innerHTML = '';
  state.boards.forEach((b, i) => {
    const o = document.createElement('option');
    o.value = String(i);
    o.textContent = boardLabel(b);
    select.appendChild(o);
  });
  const index = selectId ? state.boards.findIndex((b) => b.id === selectId) : 0;
  select.value = String(Math.max(index, 0));
  state.board = state.boards.length ? structuredClone(state.boards[Math.max(index, 0)]) : { name: 'New board', tiles: [], sharedWith: [], mine: true };
  renderBoard();
}

async function loadBoards(selectId) {
  state.boards = (await api.gql(BOARDS)).boards;
  fillBoards(selectId);
}

async function saveBoard(asNew) {
  let name = state.board.name;
  if (asNew || !state.board.mine || !state.board.id) {
    name = window.prompt('Name of the board', state.board.mine ? name : `${name} (copy)`);
    if (!name) return;
  }
  const shared = $('share-roles').value.split(',').map((r) => r.trim()).filter(Boolean);
  const input = { name, tiles: state.board.tiles, sharedWith: shared };
  if (!asNew && state.board.mine && state.board.id) input.id = state.board.id;
  const answer = (await api.gql(SAVE, { input })).saveBoard;
  if (answer.__typename !== 'SaveBoardSuccess') {
    const detail = answer.fields ? answer.fields.map((f) => `${f.field}: ${f.message}`).join('; ') : answer.message;
    status(`Not saved: ${detail}`, 'error');
    return;
  }
  status(`Saved "${answer.board.name}".`, 'ok');
  await loadBoards(answer.board.id);
}

async function deleteBoard() {
  if (!state.board || !state.board.id || !window.confirm(`Delete "${state.board.name}"?`)) return;
  const answer = (await api.gql(DELETE, { id: state.board.id })).deleteBoard;
  if (answer.__typename !== 'DeleteBoardSuccess') status(answer.message, 'error');
  await loadBoards();
}

// ---- the tile builder ------------------------------------------------------------------------
function fillDimensions() {
  const m = state.measures[$('t-measure').value];
  $('t-dimension').innerHTML = m.dimensions.map((d) => `<option>${d}</option>`).join('');
  $('t-measure-help').textContent = m.description;
}

function openBuilder() {
  $('t-measure').innerHTML = Object.values(state.measures)
    .map((m) => `<option value="${m.name}">${m.title} (${m.name})</option>`).join('');
  fillDimensions();
  $('tile-form').hidden = false;
}

function addTile(event) {
  event.preventDefault();
  const m = state.measures[$('t-measure').value];
  const tile = { measure: m.name, dimension: $('t-dimension').value, chart: $('t-chart').value,
    title: $('t-title').value.trim() || m.title, filters: {} };
  if ($('t-days').value) tile.filters.days = Number($('t-days').value);
  if (!state.board.mine) { // a default or shared board becomes the user's own copy when saved
    state.board = { ...state.board, id: null, mine: true, defaultFor: null };
  }
  state.board.tiles.push(tile);
  $('tile-form').hidden = true;
  renderBoard();
}

// ---- sign-in and start -----------------------------------------------------------------------
async function enter() {
  const data = await api.opening(CATALOGUE);
  if (!data) return;
  state.user = data.me;
  state.today = data.businessDate;
  state.measures = Object.fromEntries(data.measures.map((m) => [m.name, m]));
  $('business-date').textContent = `business date ${state.today}`;
  await loadBoards(new URLSearchParams(window.location.search).get('board'));
}

$('board-select').addEventListener('change', () => {
  state.board = structuredClone(state.boards[Number($('board-select').value)]);
  renderBoard();
});
$('apply-filters').addEventListener('click', renderBoard);
$('add-tile').addEventListener('click', openBuilder);
$('t-measure').addEventListener('change', fillDimensions);
$('tile-form').addEventListener('submit', addTile);
$('t-cancel').addEventListener('click', () => { $('tile-form').hidden = true; });
$('save-board').addEventListener('click', () => saveBoard(false));
$('save-board-as').addEventListener('click', () => saveBoard(true));
$('delete-board').addEventListener('click', deleteBoard);
$('drill-close').addEventListener('click', () => { $('drill').hidden = true; });
window.addEventListener('resize', () => state.charts.forEach((c) => c.resize()));

api.startPage(enter);
