// The Segments page: the saved segments (members, latest movement), an editor of a segment's
// rules, a preview of a draft against the members now, and saving it. Members follow the
// saved rules at the next daily run, never at once.
import './style.css';
import './segments.css';

import * as api from './api.js';
import { escape } from './html.js';
import { drawRules, readRules } from './segment_rules.js';
import { clearPreview, drawPreview, preview } from './segment_preview.js';

const $ = (id) => document.getElementById(id);

const LIST = `{ segments { name description rules count movements(last: 1) { businessDate count joined left } } }`;
const SAVED = 'segment { name description rules }';
const REFUSED = '... on UserError { message } ... on ValidationError { fields { field message } }';
const DEFINE = `mutation ($input: DefineSegmentInput!) { defineSegment(input: $input) { __typename
  ... on DefineSegmentSuccess { ${SAVED} } ${REFUSED} } }`;
const REDEFINE = `mutation ($input: RedefineSegmentInput!) { redefineSegment(input: $input) { __typename
  ... on RedefineSegmentSuccess { ${SAVED} } ${REFUSED} } }`;

const state = { user: null, segments: [], open: null }; // open: the saved segment, or null for a new one

function status(html, kind = 'info') {
  $('status').innerHTML = html;
  $('status').className = kind;
}

function movementText(m) {
  if (!m) return 'no daily run since it was defined';
  return `${m.businessDate}: +${m.joined} joined, −${m.left} left`;
}

function drawList() {
  $('segment-list').innerHTML = state.segments.map((s) => `<li class="segment-item${state.open && state.open.name === s.name ? ' active' : ''}"
    data-name="${escape(s.name)}"><button class="open">${escape(s.name)}</button>
    <span class="count">${s.count} member(s)</span>
    <span class="movement muted">${escape(movementText(s.movements[0]))}</span></li>`).join('')
    || '<li class="muted">No segment yet.</li>';
  for (const item of $('segment-list').querySelectorAll('.segment-item')) {
    item.querySelector('.open').addEventListener('click', () => openSegment(state.segments.find((s) => s.name === item.dataset.name)));
  }
}

async function loadList() {
  try {
    state.segments = (await api.gql(LIST)).segments;
    $('segment-list-note').textContent = '';
  } catch (err) {
    state.segments = [];
    $('segment-list-note').textContent = `The saved segments are not listed to you (${err.message}); you may still preview a new segment's rules.`;
  }
  drawList();
}

function openSegment(segment) {
  state.open = segment || null;
  $('editor-title').textContent = segment ? segment.name : 'New segment';
  $('segment-name').value = segment ? segment.name : '';
  $('segment-name').disabled = !!segment; // a saved segment keeps its name
  $('segment-description').value = segment ? segment.description : '';
  drawRules($('segment-rules'), segment ? segment.rules : {});
  $('save').textContent = segment ? 'Save rules' : 'Save new segment';
  clearPreview($('preview-view'));
  status('');
  drawList();
}

async function runPreview() {
  const rules = readRules($('segment-rules'));
  status('Previewing…');
  try {
    drawPreview($('preview-view'), await preview(state.open ? state.open.name : null, rules));
    status('');
  } catch (err) {
    clearPreview($('preview-view'));
    status(`No preview: ${escape(err.message)}`, 'error');
  }
}

function refusal(answer) {
  if (answer.fields && answer.fields.length) {
    return `Not saved: ${escape(answer.message)}<ul id="save-errors">${answer.fields.map((f) => `<li data-field="${escape(f.field)}">
      <strong>${escape(f.field)}</strong>: ${escape(f.message)}</li>`).join('')}</ul>`;
  }
  return `<span id="save-refused">Not saved: ${escape(answer.message)}</span>`;
}

async function save() {
  const rules = readRules($('segment-rules'));
  const description = $('segment-description').value.trim();
  let answer;
  try {
    answer = state.open
      ? (await api.gql(REDEFINE, { input: { name: state.open.name, rules, description } })).redefineSegment
      : (await api.gql(DEFINE, { input: { name: $('segment-name').value.trim(), rules, description } })).defineSegment;
  } catch (err) {
    status(`<span id="save-refused">Not saved: ${escape(err.message)}</span>`, 'error');
    return;
  }
  if (!answer.segment) {
    status(refusal(answer), 'error');
    return;
  }
  await loadList();
  openSegment(state.segments.find((s) => s.name === answer.segment.name) || { ...answer.segment, count: 0, movements: [] });
  status(`<span id="saved">Saved “${escape(answer.segment.name)}”: its members follow the new rules at the next daily run.</span>`, 'ok');
}

async function enter() {
  const opened = await api.opening();
  if (!opened) return;
  state.user = opened.me;
  await loadList();
  openSegment(state.segments[0]);
}

$('new-segment').addEventListener('click', () => openSegment(null));
$('segment-form').addEventListener('submit', (event) => { event.preventDefault(); runPreview(); });
$('save').addEventListener('click', save);
$('segment-rules').addEventListener('change', () => {
  if (!$('preview-view').hidden) $('preview-view').classList.add('stale'); // the shown preview is of other rules
});

api.startPage(enter);
