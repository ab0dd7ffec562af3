// The editor of a segment's rules: a checkbox per allowed value of the labelled fields, tags
// and branches as comma-separated names. A field with nothing ticked (or no names) is left out
// of the rules: it does not narrow the segment.
import { escape } from './html.js';
import { CHOICES, LABELS, NAMED } from './segment_fields.js';

// Draw the editor into `box`, showing `rules` ({field: [values]}).
export function drawRules(box, rules) {
  const chosen = (field) => new Set(rules[field] || []);
  const boxes = Object.entries(CHOICES).map(([field, values]) => {
    const on = chosen(field);
    // a saved value the page does not know (the server's list grew) is still shown, ticked
    const shown = [...values, ...[...on].filter((v) => !values.includes(v))];
    const ticks = shown.map((v) => `<label class="choice"><input type="checkbox" data-field="${escape(field)}"
      value="${escape(v)}"${on.has(v) ? ' checked' : ''}> ${escape(v)}</label>`).join('');
    return `<fieldset class="rule" data-field="${escape(field)}"><legend>${escape(LABELS[field])}</legend>${ticks}</fieldset>`;
  });
  const names = NAMED.map((field) => `<fieldset class="rule" data-field="${escape(field)}">
    <legend>${escape(LABELS[field])}</legend><input class="names" data-field="${escape(field)}" size="40"
    placeholder="comma-separated; empty: any" value="${escape((rules[field] || []).join(', '))}"></fieldset>`);
  box.innerHTML = [...boxes, ...names].join('');
}

// The rules the editor shows now, in the shape the API takes.
export function readRules(box) {
  const rules = {};
  for (const field of Object.keys(CHOICES)) {
    const ticked = [...box.querySelectorAll(`input[type=checkbox][data-field="${field}"]:checked`)].map((i) => i.value);
    if (ticked.length) rules[field] = ticked;
  }
  for (const field of NAMED) {
    const input = box.querySelector(`input.names[data-field="${field}"]`);
    const names = input.value.split(',').map((n) => n.trim()).filter(Boolean);
    if (names.length) rules[field] = [...new Set(names)];
  }
  return rules;
}
