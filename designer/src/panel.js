// The properties the engine reads, edited in place on the diagram's business objects.
// Everything is written as SpiffWorkflow extension elements (see src/moddle/spiffworkflow.json).

const h = (tag, attrs = {}, ...children) => {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'on') Object.entries(v).forEach(([ev, fn]) => el.addEventListener(ev, fn));
    else if (v !== undefined && v !== null && v !== false) el.setAttribute(k, v === true ? '' : v);
  }
  children.flat().forEach((c) => el.append(c instanceof Node ? c : document.createTextNode(String(c))));
  return el;
};

export class PropertiesPanel {
  constructor(root, modeler, catalogue) {
    this.root = root;
    this.modeler = modeler;
    this.catalogue = catalogue; // { operations, roles, decisions() }
    this.moddle = modeler.get('moddle');
    this.modeling = modeler.get('modeling');
    modeler.on('selection.changed', (e) => this.show(e.newSelection[0]));
    modeler.on('import.done', () => this.show(null));
  }

  root_element() {
    return this.modeler.get('canvas').getRootElement();
  }

  show(element) {
    let target = element;
    if (!target) {
      try { target = this.root_element(); } catch (err) { target = null; }
    }
    // during an import the canvas has no root yet: nothing to show
    if (!target || !target.businessObject) { this.root.replaceChildren(); return; }
    this.root.replaceChildren(...this.render(target));
  }

  // --- extension elements -------------------------------------------------------------
  ext(bo, type) {
    return (bo.extensionElements && bo.extensionElements.values || []).find((v) => v.$type === type);
  }

  ensureExt(bo, type, props = {}) {
    if (!bo.extensionElements) bo.extensionElements = this.moddle.create('bpmn:ExtensionElements', { values: [] });
    let found = this.ext(bo, type);
    if (!found) {
      found = this.moddle.create(type, props);
      found.$parent = bo.extensionElements;
      bo.extensionElements.values.push(found);
    }
    return found;
  }

  dropExt(bo, type) {
    if (!bo.extensionElements) return;
    bo.extensionElements.values = bo.extensionElements.values.filter((v) => v.$type !== type);
  }

  changed(element) {
    this.modeler.get('eventBus').fire('elements.changed', { elements: [element] });
  }

  bodyExt(element, type, label, rows = 3) {
    const bo = element.businessObject;
    const current = this.ext(bo, type);
    return this.field(label, h('textarea', {
      rows, 'data-prop': type, on: { change: (e) => {
        const text = e.target.value;
        if (text.trim()) this.ensureExt(bo, type).value = text;
        else this.dropExt(bo, type);
        this.changed(element);
      } },
    }, current ? current.value || '' : ''));
  }

  metadata(bo, name) {
    const values = this.ext(bo, 'spiffworkflow:TaskMetadataValues');
    const found = values && (values.taskMetadataValue || []).find((m) => m.name === name);
    return found ? found.value : '';
  }

  setMetadata(element, name, value) {
    const bo = element.businessObject;
    const values = this.ensureExt(bo, 'spiffworkflow:TaskMetadataValues', { taskMetadataValue: [] });
    values.taskMetadataValue = (values.taskMetadataValue || []).filter((m) => m.name !== name);
    if (value) values.taskMetadataValue.push(this.moddle.create('spiffworkflow:TaskMetadataValue', { name, value }));
    this.changed(element);
  }

  field(label, input) {
    return h('label', { class: 'prop' }, h('span', {}, label), input);
  }

  // --- rendering ------------------------------------------------------------------------
  render(element) {
    const bo = element.businessObject;
    const type = bo.$type;
    const out = [h('h3', {}, type.replace('bpmn:', '')), h('p', { class: 'muted', 'data-prop': 'id' }, bo.id)];
    if (type === 'bpmn:Process' || type === 'bpmn:Collaboration') return out.concat(this.processFields(element));
    out.push(this.field('Name', h('input', { value: bo.name || '', 'data-prop': 'name',
      on: { change: (e) => this.modeling.updateProperties(element, { name: e.target.value }) } })));
    if (type === 'bpmn:SequenceFlow') out.push(...this.flowFields(element));
    if (type === 'bpmn:ScriptTask') out.push(this.scriptField(element));
    if (type === 'bpmn:ServiceTask') out.push(...this.serviceFields(element));
    if (type === 'bpmn:UserTask' || type === 'bpmn:ManualTask') out.push(...this.humanFields(element));
    if (type === 'bpmn:BusinessRuleTask') out.push(this.decisionField(element));
    if (type === 'bpmn:CallActivity') {
      out.push(this.field('Called process id', h('input', { value: bo.calledElement || '', 'data-prop': 'calledElement',
        on: { change: (e) => this.modeling.updateProperties(element, { calledElement: e.target.value }) } })));
    }
    if (type === 'bpmn:ExclusiveGateway' || type === 'bpmn:InclusiveGateway') out.push(this.defaultFlowField(element));
    for (const definition of bo.eventDefinitions || []) {
      if (definition.$type === 'bpmn:TimerEventDefinition') out.push(...this.timerFields(element, definition));
      if (definition.$type === 'bpmn:MessageEventDefinition') out.push(...this.messageFields(element, definition));
    }
    if (bo.$instanceOf('bpmn:Activity')) {
      out.push(this.bodyExt(element, 'spiffworkflow:PreScript', 'Before (assignments)'));
      out.push(this.bodyExt(element, 'spiffworkflow:PostScript', 'After (assignments)'));
    }
    return out;
  }

  processFields(element) {
    const bo = element.businessObject.$type === 'bpmn:Collaboration'
      ? element.businessObject.participants[0].processRef : element.businessObject;
    return [
      this.field('Process id', h('input', { value: bo.id, 'data-prop': 'processId', on: { change: (e) => { bo.id = e.target.value; } } })),
      this.field('Name', h('input', { value: bo.name || '', on: { change: (e) => { bo.name = e.target.value; } } })),
      this.field('Executable', h('input', { type: 'checkbox', checked: bo.isExecutable ? true : undefined,
        on: { change: (e) => { bo.isExecutable = e.target.checked; } } })),
    ];
  }

  flowFields(element) {
    const bo = element.businessObject;
    const text = bo.conditionExpression ? bo.conditionExpression.body : '';
    return [this.field('Condition (e.g. amount > 50000)', h('textarea', { rows: 2, 'data-prop': 'condition',
      on: { change: (e) => {
        const value = e.target.value.trim();
        const expression = value ? this.moddle.create('bpmn:FormalExpression', { body: value }) : undefined;
        this.modeling.updateProperties(element, { conditionExpression: expression });
      } } }, text))];
  }

  scriptField(element) {
    const bo = element.businessObject;
    return this.field('Script (assignments only)', h('textarea', { rows: 5, 'data-prop': 'script',
      on: { change: (e) => { bo.script = e.target.value; bo.scriptFormat = 'python'; this.changed(element); } } }, bo.script || ''));
  }

  serviceFields(element) {
    const bo = element.businessObject;
    const operator = this.ext(bo, 'spiffworkflow:ServiceTaskOperator');
    const chosen = operator ? operator.id : '';
    const ops = this.catalogue.operations;
    const select = h('select', { 'data-prop': 'operation', on: { change: (e) => {
      const op = ops.find((o) => o.name === e.target.value);
      this.dropExt(bo, 'spiffworkflow:ServiceTaskOperator');
      if (op) {
        const params = this.moddle.create('spiffworkflow:Parameters', { parameter: op.params.map((p) =>
          this.moddle.create('spiffworkflow:Parameter', { id: p.name, type: p.type, value: p.name })) });
        this.ensureExt(bo, 'spiffworkflow:ServiceTaskOperator', { id: op.name, resultVariable: op.name.split('.').pop() + '_result', parameters: params });
      }
      this.changed(element);
      this.show(element);
    } } }, h('option', { value: '' }, '(choose an operation)'),
    ...ops.map((o) => h('option', { value: o.name, selected: o.name === chosen ? true : undefined }, o.name)));
    const out = [this.field('Operation', select)];
    const op = ops.find((o) => o.name === chosen);
    if (op) out.push(h('p', { class: 'muted' }, op.description));
    if (operator) {
      out.push(this.field('Result variable', h('input', { value: operator.resultVariable || '', 'data-prop': 'resultVariable',
        on: { change: (e) => { operator.resultVariable = e.target.value; this.changed(element); } } })));
      const given = (operator.parameters && operator.parameters.parameter) || [];
      for (const param of (op ? op.params : given.map((g) => ({ name: g.id, type: g.type, required: true })))) {
        const current = given.find((g) => g.id === param.name);
        out.push(this.field(`${param.name} (${param.type}${param.required ? '' : ', optional'})`, h('input', {
          value: current ? current.value : '', 'data-param': param.name,
          on: { change: (e) => {
            if (!operator.parameters) operator.parameters = this.moddle.create('spiffworkflow:Parameters', { parameter: [] });
            const list = operator.parameters.parameter || (operator.parameters.parameter = []);
            const existing = list.find((g) => g.id === param.name);
            if (e.target.value.trim() === '') operator.parameters.parameter = list.filter((g) => g.id !== param.name);
            else if (existing) existing.value = e.target.value;
            else list.push(this.moddle.create('spiffworkflow:Parameter', { id: param.name, type: param.type, value: e.target.value }));
            this.changed(element);
          } } })));
      }
    }
    return out;
  }

  humanFields(element) {
    const bo = element.businessObject;
    const role = this.metadata(bo, 'candidate_role').replace(/^'|'$/g, '');
    const roles = this.catalogue.roles;
    return [
      this.field('Offered to role', h('select', { 'data-prop': 'candidateRole', on: { change: (e) =>
        this.setMetadata(element, 'candidate_role', e.target.value ? `'${e.target.value}'` : '') } },
        h('option', { value: '' }, '(the lane decides)'),
        ...roles.map((r) => h('option', { value: r, selected: r === role ? true : undefined }, r)))),
      this.field('Form fields (JSON: name → list of choices, or "text")', h('textarea', { rows: 3, 'data-prop': 'formFields',
        on: { change: (e) => {
          try {
            if (e.target.value.trim()) JSON.parse(e.target.value);
            e.target.classList.remove('invalid');
            this.setMetadata(element, 'form_fields', e.target.value.trim());
          } catch (err) {
            e.target.classList.add('invalid');
          }
        } } }, this.metadata(bo, 'form_fields'))),
      this.bodyExt(element, 'spiffworkflow:InstructionsForEndUser', 'Instructions', 2),
    ];
  }

  decisionField(element) {
    const bo = element.businessObject;
    const current = this.ext(bo, 'spiffworkflow:CalledDecisionId');
    const value = current ? current.value : '';
    return this.field('Decision table', h('select', { 'data-prop': 'decision', on: { change: (e) => {
      this.dropExt(bo, 'spiffworkflow:CalledDecisionId');
      if (e.target.value) this.ensureExt(bo, 'spiffworkflow:CalledDecisionId', { value: e.target.value });
      this.changed(element);
    } } }, h('option', { value: '' }, '(choose)'),
    ...this.catalogue.decisions().map((d) => h('option', { value: d, selected: d === value ? true : undefined }, d))));
  }

  defaultFlowField(element) {
    const bo = element.businessObject;
    const flows = bo.outgoing || [];
    return this.field('Default flow', h('select', { 'data-prop': 'default', on: { change: (e) => {
      const flow = flows.find((f) => f.id === e.target.value);
      this.modeling.updateProperties(element, { default: flow || undefined });
    } } }, h('option', { value: '' }, '(none)'),
    ...flows.map((f) => h('option', { value: f.id, selected: bo.default === f ? true : undefined }, f.name || f.id))));
  }

  timerFields(element, definition) {
    const kind = definition.timeDate ? 'timeDate' : 'timeDuration';
    const current = definition[kind] ? definition[kind].body : '';
    const kindSelect = h('select', { 'data-prop': 'timerKind', on: { change: (e) => {
      const body = (definition.timeDate || definition.timeDuration || {}).body || '';
      definition.timeDate = undefined; definition.timeDuration = undefined; definition.timeCycle = undefined;
      definition[e.target.value] = this.moddle.create('bpmn:FormalExpression', { body });
      this.changed(element);
    } } }, h('option', { value: 'timeDuration', selected: kind === 'timeDuration' ? true : undefined }, 'after a duration'),
    h('option', { value: 'timeDate', selected: kind === 'timeDate' ? true : undefined }, 'at a date'));
    return [
      this.field('Timer', kindSelect),
      this.field('Expression (quoted ISO, e.g. "P2D", or a variable)', h('input', { value: current, 'data-prop': 'timer',
        on: { change: (e) => {
          const which = definition.timeDate ? 'timeDate' : 'timeDuration';
          definition[which] = this.moddle.create('bpmn:FormalExpression', { body: e.target.value });
          this.changed(element);
        } } })),
    ];
  }

  messageFields(element, definition) {
    const definitions = this.modeler.getDefinitions();
    const name = definition.messageRef ? definition.messageRef.name : '';
    const variable = this.ext(definition, 'spiffworkflow:MessageVariable');
    return [
      this.field('Message name', h('input', { value: name, 'data-prop': 'message', on: { change: (e) => {
        const wanted = e.target.value.trim();
        let message = definitions.rootElements.find((r) => r.$type === 'bpmn:Message' && r.name === wanted);
        if (!message && wanted) {
          message = this.moddle.create('bpmn:Message', { id: `message_${wanted.replace(/\W/g, '_')}`, name: wanted });
          message.$parent = definitions;
          definitions.rootElements.unshift(message);
        }
        definition.messageRef = message;
        this.changed(element);
      } } })),
      this.field('Payload variable', h('input', { value: variable ? variable.value : '', 'data-prop': 'messageVariable', on: { change: (e) => {
        this.dropExt(definition, 'spiffworkflow:MessageVariable');
        if (e.target.value.trim()) this.ensureExt(definition, 'spiffworkflow:MessageVariable', { value: e.target.value.trim() });
        this.changed(element);
      } } })),
    ];
  }
}
